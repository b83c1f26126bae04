import type { InvoiceFields } from "../fields.js";
import type { DateStyle, NumberStyle } from "./layouts.js";
import type { TruthDocument } from "./truth.js";

/** One printed text run at a horizontal position (points from the left edge). */
export interface Cell {
  readonly x: number;
  readonly text: string;
  readonly size?: number;
}
export type Row = readonly Cell[];

const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export function formatDate(iso: string, style: DateStyle): string {
  const [y, m, d] = iso.split("-");
  if (style === "dmy-dot") return `${d}.${m}.${y}`;
  if (style === "dmy-slash") return `${d}/${m}/${y}`;
  if (style === "mdy-slash") return `${m}/${d}/${y}`;
  if (style === "long") return `${Number(d)} ${months[Number(m) - 1]} ${y}`;
  return iso;
}

export function formatAmount(n: number, style: NumberStyle): string {
  const [int, frac] = Math.abs(n).toFixed(2).split(".");
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, style === "de" ? "." : ",");
  return `${n < 0 ? "-" : ""}${grouped}${style === "de" ? "," : "."}${frac}`;
}

const header = ["Description", "Qty", "Unit price", "Amount"];
const columns = [50, 330, 400, 480];

/** The rows of a printed invoice (PDF page or e-mail body) in the layout's words, top to bottom. */
export function printedRows(doc: TruthDocument): Row[] {
  const layout = doc.vendor.layout;
  const labels = layout.labels!;
  const f = doc.fields;
  const date = (iso: string) => formatDate(iso, layout.dates ?? "iso");
  const money = (n: number) => formatAmount(n, layout.numbers ?? "en");
  const field = (label: string, value: string): Row => {
    if (layout.arrangement === "columns") return [{ x: 50, text: label }, { x: 220, text: value }];
    if (layout.arrangement === "leaders") return [{ x: 50, text: `${label} ${".".repeat(Math.max(2, 18 - label.length))} ${value}` }];
    return [{ x: 50, text: `${label} ${value}` }];
  };
  const rows: Row[] = [];
  if (layout.format === "text") {
    rows.push([{ x: 50, text: `From: ${f.vendorName} <billing@${doc.vendor.id.toLowerCase()}.example>` }], [{ x: 50, text: "Subject: invoice" }], [{ x: 50, text: "Dear customer, please find our invoice below." }]);
  } else {
    rows.push([{ x: 50, text: f.vendorName, size: 16 }], [{ x: 50, text: "INVOICE", size: 14 }]);
  }
  rows.push(
    field(labels.invoiceNumber, f.invoiceNumber),
    field(labels.issueDate, date(f.issueDate)),
    field(labels.dueDate, date(f.dueDate)),
    field(labels.poNumber, f.poNumber),
    field(labels.currency, f.currency),
    field(labels.vendorVat, f.vendorVat),
    field(labels.iban, f.iban),
    header.map((text, i) => ({ x: columns[i]!, text })),
    ...f.lines.map((l): Row => [l.description, String(l.quantity), money(l.unitPrice), money(l.amount)].map((text, i) => ({ x: columns[i]!, text }))),
    field(labels.net, money(f.net)),
    field(labels.tax, money(f.tax)),
    field(labels.total, money(f.total)),
  );
  if (layout.format === "text") rows.push([{ x: 50, text: "Kind regards," }], [{ x: 50, text: f.vendorName }]);
  return rows;
}

/** Rows as plain text: cells apart by at least two spaces, as a fixed-width e-mail body would set them. */
export function rowsAsText(rows: readonly Row[]): string {
  return rows.map((row) => row.map((c) => c.text).join("   ")).join("\n") + "\n";
}

export type { InvoiceFields };
