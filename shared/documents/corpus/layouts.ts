import type { ScalarFieldName } from "../fields.js";

export type DocumentFormat = "pdf" | "text" | "ubl" | "cii";
export type DateStyle = "iso" | "dmy-dot" | "dmy-slash" | "mdy-slash" | "long";
export type NumberStyle = "en" | "de";

/**
 * One vendor's way of laying out an invoice. Printed layouts name each field with their own label; some labels
 * are ones the heuristics know, some only a template learned from a reviewer can read.
 */
export interface Layout {
  readonly id: string;
  readonly format: DocumentFormat;
  /** Label printed before each value (printed formats only; vendorName is the letterhead, never labelled). */
  readonly labels?: Readonly<Record<Exclude<ScalarFieldName, "vendorName">, string>>;
  readonly dates?: DateStyle;
  readonly numbers?: NumberStyle;
  /** stacked: "Label: value" lines; columns: label at the left margin, value in a column to its right. */
  readonly arrangement?: "stacked" | "columns" | "leaders";
  /** Not shown to templates in `mesh eval extract`: how well extraction does on a layout nobody corrected. */
  readonly heldOut?: boolean;
}

const english = {
  invoiceNumber: "Invoice No:",
  issueDate: "Invoice Date:",
  dueDate: "Due Date:",
  vendorVat: "VAT ID:",
  iban: "IBAN:",
  poNumber: "PO Number:",
  currency: "Currency:",
  net: "Subtotal:",
  tax: "VAT:",
  total: "Total:",
};

export const layouts: readonly Layout[] = [
  { id: "pdf-classic", format: "pdf", labels: english, dates: "iso", numbers: "en", arrangement: "stacked" },
  {
    id: "pdf-columns",
    format: "pdf",
    labels: { invoiceNumber: "Invoice number", issueDate: "Date", dueDate: "Payment due", vendorVat: "VAT reg.", iban: "Bank account", poNumber: "Order ref", currency: "Currency", net: "Net amount", tax: "Tax amount", total: "Amount payable" },
    dates: "dmy-dot",
    numbers: "de",
    arrangement: "columns",
  },
  {
    id: "pdf-german",
    format: "pdf",
    labels: { invoiceNumber: "Rechnungsnummer:", issueDate: "Rechnungsdatum:", dueDate: "Fällig am:", vendorVat: "USt-IdNr.:", iban: "IBAN:", poNumber: "Bestellnummer:", currency: "Währung:", net: "Nettobetrag:", tax: "MwSt.:", total: "Gesamtbetrag:" },
    dates: "dmy-dot",
    numbers: "de",
    arrangement: "stacked",
  },
  {
    id: "pdf-us",
    format: "pdf",
    labels: { invoiceNumber: "Invoice #", issueDate: "Invoice Date", dueDate: "Due", vendorVat: "Tax ID", iban: "Account (IBAN)", poNumber: "P.O. #", currency: "Currency", net: "Subtotal", tax: "Sales Tax", total: "Amount Due" },
    dates: "mdy-slash",
    numbers: "en",
    arrangement: "columns",
  },
  {
    id: "pdf-french",
    format: "pdf",
    labels: { invoiceNumber: "Facture n°", issueDate: "Date de facture :", dueDate: "Échéance :", vendorVat: "N° TVA :", iban: "IBAN :", poNumber: "Bon de commande :", currency: "Devise :", net: "Total HT :", tax: "TVA :", total: "Total TTC :" },
    dates: "dmy-slash",
    numbers: "de",
    arrangement: "stacked",
  },
  {
    id: "pdf-long-dates",
    format: "pdf",
    labels: { ...english, invoiceNumber: "Invoice", issueDate: "Dated", dueDate: "Payable by", poNumber: "Purchase order" },
    dates: "long",
    numbers: "en",
    arrangement: "columns",
  },
  {
    id: "pdf-odd",
    format: "pdf",
    labels: { invoiceNumber: "Doc ID", issueDate: "Issued", dueDate: "Settle by", vendorVat: "Reg.", iban: "Pay to", poNumber: "Your ref", currency: "Cur.", net: "Goods", tax: "Levy", total: "Grand sum" },
    dates: "iso",
    numbers: "en",
    arrangement: "columns",
  },
  {
    id: "pdf-minimal",
    format: "pdf",
    labels: { invoiceNumber: "No.", issueDate: "Dt.", dueDate: "Pay", vendorVat: "Tax no.", iban: "Acct", poNumber: "Ord.", currency: "CCY", net: "Sum", tax: "Duty", total: "Gross" },
    dates: "dmy-dot",
    numbers: "en",
    arrangement: "stacked",
    heldOut: true,
  },
  {
    id: "text-email",
    format: "text",
    labels: { invoiceNumber: "Our invoice:", issueDate: "Invoice date:", dueDate: "Please pay by:", vendorVat: "VAT number:", iban: "IBAN:", poNumber: "Your PO:", currency: "Currency:", net: "Net:", tax: "VAT:", total: "Total due:" },
    dates: "iso",
    numbers: "en",
    arrangement: "stacked",
  },
  {
    id: "text-leaders",
    format: "text",
    labels: { invoiceNumber: "INVOICE NO", issueDate: "DATE", dueDate: "DUE DATE", vendorVat: "VAT", iban: "IBAN", poNumber: "ORDER", currency: "CURRENCY", net: "NET", tax: "TAX", total: "TOTAL" },
    dates: "mdy-slash",
    numbers: "en",
    arrangement: "leaders",
    heldOut: true,
  },
  { id: "ubl-2.1", format: "ubl" },
  { id: "cii-factur-x", format: "cii" },
];

export function layoutById(id: string): Layout {
  const l = layouts.find((x) => x.id === id);
  if (!l) throw new Error(`no layout ${id}`);
  return l;
}
