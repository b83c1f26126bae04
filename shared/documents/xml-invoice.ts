import { XMLParser } from "fast-xml-parser";
import { SchemaError } from "../errors/index.js";
import { invoiceFieldsSchema, type InvoiceFields } from "./fields.js";

export const xmlLimits = { maxBytes: 5 * 1024 * 1024, maxDepth: 64, maxElements: 200_000 } as const;

/**
 * Refuses what an e-invoice never needs before any parser sees it: a DTD (the door to entity expansion, the
 * billion-laughs bomb and external entities), more bytes, nesting or elements than the limits allow.
 */
export function screenXml(text: string, limits = xmlLimits): void {
  if (text.length > limits.maxBytes) throw new SchemaError(`document: XML of ${text.length} bytes is over the ${limits.maxBytes}-byte limit`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new SchemaError("document: XML declares a DTD or entities (<!DOCTYPE/<!ENTITY); entity expansion is off and such documents are refused");
  let depth = 0;
  let elements = 0;
  for (const m of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (m[1]) depth--;
    else if (!m[2]) depth++;
    if (++elements > limits.maxElements) throw new SchemaError(`document: XML has more than ${limits.maxElements} elements`);
    if (depth > limits.maxDepth) throw new SchemaError(`document: XML nests deeper than ${limits.maxDepth} levels`);
  }
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === "InvoiceLine" || name === "IncludedSupplyChainTradeLineItem",
});

type Node = Record<string, unknown>;
const at = (node: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, k) => (n && typeof n === "object" ? (n as Node)[k] : undefined), node);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : typeof v === "number" ? String(v) : undefined);
const num = (v: unknown): number | undefined => {
  const s = str(v);
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
};
const d102 = (v: unknown): string | undefined => {
  const s = str(v);
  return s && /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : s;
};

/** Which e-invoice syntax the XML is, by its root element; undefined for XML that is neither. */
export type XmlSyntax = "ubl" | "cii";

/**
 * The invoice fields of a UBL 2.1 or UN/CEFACT CII document, read exactly from their elements. A document that
 * is not one of them, or lacks a field, fails with the field named: a structured invoice is exact or refused.
 */
export function readXmlInvoice(text: string): { syntax: XmlSyntax; fields: InvoiceFields } {
  screenXml(text);
  let doc: Node;
  try {
    doc = parser.parse(text, true) as Node;
  } catch (err) {
    throw new SchemaError(`document: malformed XML (${(err as Error).message.split("\n")[0]})`);
  }
  const ubl = doc["Invoice"];
  const cii = doc["CrossIndustryInvoice"];
  const syntax: XmlSyntax | undefined = ubl ? "ubl" : cii ? "cii" : undefined;
  if (!syntax) throw new SchemaError(`document: XML root is ${Object.keys(doc).filter((k) => k !== "?xml")[0] ?? "missing"}, not a UBL Invoice or a CII CrossIndustryInvoice`);
  const raw = syntax === "ubl" ? fromUbl(ubl as Node) : fromCii(cii as Node);
  const parsed = invoiceFieldsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SchemaError(`document: ${syntax.toUpperCase()} invoice field ${issue.path.join(".")} ${issue.message}`);
  }
  return { syntax, fields: parsed.data };
}

function fromUbl(inv: Node): Record<string, unknown> {
  const party = at(inv, "AccountingSupplierParty", "Party");
  const totals = at(inv, "LegalMonetaryTotal");
  const lines = (at(inv, "InvoiceLine") as Node[] | undefined) ?? [];
  return {
    invoiceNumber: str(at(inv, "ID")),
    issueDate: str(at(inv, "IssueDate")),
    dueDate: str(at(inv, "DueDate")) ?? str(at(inv, "PaymentMeans", "PaymentDueDate")),
    vendorName: str(at(party, "PartyLegalEntity", "RegistrationName")) ?? str(at(party, "PartyName", "Name")),
    vendorVat: str(at(party, "PartyTaxScheme", "CompanyID")),
    iban: str(at(inv, "PaymentMeans", "PayeeFinancialAccount", "ID")),
    poNumber: str(at(inv, "OrderReference", "ID")),
    currency: str(at(inv, "DocumentCurrencyCode")),
    net: num(at(totals, "TaxExclusiveAmount")),
    tax: num(at(inv, "TaxTotal", "TaxAmount")),
    total: num(at(totals, "TaxInclusiveAmount")),
    lines: lines.map((l) => ({
      description: str(at(l, "Item", "Name")),
      quantity: num(at(l, "InvoicedQuantity")),
      unitPrice: num(at(l, "Price", "PriceAmount")),
      amount: num(at(l, "LineExtensionAmount")),
    })),
  };
}

function fromCii(inv: Node): Record<string, unknown> {
  const tx = at(inv, "SupplyChainTradeTransaction");
  const agreement = at(tx, "ApplicableHeaderTradeAgreement");
  const settlement = at(tx, "ApplicableHeaderTradeSettlement");
  const sums = at(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation");
  const lines = (at(tx, "IncludedSupplyChainTradeLineItem") as Node[] | undefined) ?? [];
  return {
    invoiceNumber: str(at(inv, "ExchangedDocument", "ID")),
    issueDate: d102(at(inv, "ExchangedDocument", "IssueDateTime", "DateTimeString")),
    dueDate: d102(at(settlement, "SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString")),
    vendorName: str(at(agreement, "SellerTradeParty", "Name")),
    vendorVat: str(at(agreement, "SellerTradeParty", "SpecifiedTaxRegistration", "ID")),
    iban: str(at(settlement, "SpecifiedTradeSettlementPaymentMeans", "PayeePartyCreditorFinancialAccount", "IBANID")),
    poNumber: str(at(agreement, "BuyerOrderReferencedDocument", "IssuerAssignedID")),
    currency: str(at(settlement, "InvoiceCurrencyCode")),
    net: num(at(sums, "TaxBasisTotalAmount")),
    tax: num(at(sums, "TaxTotalAmount")),
    total: num(at(sums, "GrandTotalAmount")),
    lines: lines.map((l) => ({
      description: str(at(l, "SpecifiedTradeProduct", "Name")),
      quantity: num(at(l, "SpecifiedLineTradeDelivery", "BilledQuantity")),
      unitPrice: num(at(l, "SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount")),
      amount: num(at(l, "SpecifiedLineTradeSettlement", "SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount")),
    })),
  };
}
