import { validIban, validVatId } from "./checks.js";
import type { LineItem, ScalarFieldName } from "./fields.js";
import { normaliseLabel, parseAmount, parseFieldValue, type DateOrder } from "./values.js";

/** Labels the heuristics know, by field, in the languages invoices arrive in here. Longest tried first. */
const synonyms: Readonly<Record<Exclude<ScalarFieldName, "vendorName">, readonly string[]>> = {
  invoiceNumber: ["invoice no", "invoice number", "invoice #", "invoice nr", "our invoice", "rechnungsnummer", "rechnung nr", "facture n°", "invoice"],
  issueDate: ["invoice date", "issue date", "rechnungsdatum", "date de facture", "dated", "date"],
  dueDate: ["due date", "payment due", "please pay by", "payable by", "pay by", "fällig am", "échéance", "due"],
  poNumber: ["po number", "p.o. #", "po #", "purchase order", "order ref", "your po", "bestellnummer", "bon de commande"],
  currency: ["currency", "währung", "devise"],
  vendorVat: ["vat id", "vat number", "vat no", "vat reg.", "ust-idnr.", "n° tva", "tax id"],
  iban: ["account (iban)", "bank account", "iban"],
  net: ["net amount", "subtotal", "nettobetrag", "total ht", "net"],
  tax: ["tax amount", "sales tax", "mwst.", "vat", "tva", "tax"],
  total: ["amount payable", "amount due", "total due", "grand total", "gesamtbetrag", "total ttc", "total"],
};

export interface Found<T> {
  readonly value: T;
  /** 0..1 before checks: how sure the tier is that this is the field's value. */
  readonly confidence: number;
  /** The label and line it was read from, for the reviewer and for learning templates. */
  readonly line: number;
  readonly ambiguousDate?: { readonly iso: string; readonly alternative: string };
}

/** The text after `label` on a line that starts with it, or undefined. */
export function afterLabel(line: string, label: string): string | undefined {
  const normal = normaliseLabel(line.replace(/\s\.{2,}\s/g, " "));
  const l = normaliseLabel(label);
  if (!normal.startsWith(l)) return undefined;
  const rest = normal.slice(l.length);
  if (rest && !/^[\s:]/.test(rest)) return undefined;
  // Take the value from the original line (case kept): the same count of words after the label.
  const words = line.replace(/\s\.{2,}\s/g, " ").trim().split(/\s+/);
  const labelWords = l.split(" ").length;
  const value = words.slice(labelWords).join(" ").replace(/^:\s*/, "");
  return value || undefined;
}

/** Fields read by known labels; each field takes its first line that parses, and is less sure when lines disagree. */
export function heuristicFields(lines: readonly string[], order?: DateOrder): Partial<Record<ScalarFieldName, Found<string | number>>> {
  const out: Partial<Record<ScalarFieldName, Found<string | number>>> = {};
  for (const [field, labels] of Object.entries(synonyms) as [Exclude<ScalarFieldName, "vendorName">, readonly string[]][]) {
    const hits: Found<string | number>[] = [];
    lines.forEach((line, i) => {
      for (const label of [...labels].sort((a, b) => b.length - a.length)) {
        const text = afterLabel(line, label);
        const parsed = text === undefined ? undefined : parseFieldValue(field, text, order);
        if (!parsed) continue;
        const amb = parsed.ambiguous;
        hits.push({ value: parsed.value, confidence: amb ? 0.5 : 0.85, line: i, ...(amb?.alternative ? { ambiguousDate: { iso: amb.iso, alternative: amb.alternative } } : {}) });
        return;
      }
    });
    const first = hits[0];
    if (!first) continue;
    const disagree = hits.some((h) => h.value !== first.value);
    out[field] = disagree ? { ...first, confidence: Math.min(first.confidence, 0.5) } : first;
  }
  const name = letterhead(lines);
  if (name) out.vendorName = name;
  for (const [field, found] of [["iban", scan(lines, /\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b/g, validIban)], ["vendorVat", scan(lines, /\b[A-Z]{2}[0-9A-Z]{8,12}\b/g, validVatId)]] as const) {
    if (!out[field] && found) out[field] = found;
  }
  return out;
}

/** The sender: an e-mail's From display name, else the first line (the letterhead). */
function letterhead(lines: readonly string[]): Found<string> | undefined {
  const from = lines.findIndex((l) => /^from:/i.test(l));
  if (from >= 0) {
    const name = lines[from]!.replace(/^from:\s*/i, "").replace(/<[^>]*>/, "").trim();
    return name ? { value: name, confidence: 0.85, line: from } : undefined;
  }
  return lines[0] ? { value: lines[0].trim(), confidence: 0.85, line: 0 } : undefined;
}

/** A value found by its own shape and checksum anywhere in the text, when no label named it. */
function scan(lines: readonly string[], shape: RegExp, valid: (s: string) => boolean): Found<string> | undefined {
  for (const [i, line] of lines.entries()) {
    for (const m of line.matchAll(shape)) if (valid(m[0])) return { value: m[0], confidence: 0.8, line: i };
  }
  return undefined;
}

const row = /^(.+?)\s{2,}(\d+(?:[.,]\d+)?)\s{2,}(-?[\d.,]+)\s{2,}(-?[\d.,]+)$/;

/** Line items: table rows of description, quantity, unit price and amount (columns apart by two spaces or more). */
export function tableLines(lines: readonly string[]): Found<LineItem[]> | undefined {
  const items: LineItem[] = [];
  let first = -1;
  for (const [i, line] of lines.entries()) {
    const m = row.exec(line.trim());
    if (!m) continue;
    const quantity = parseAmount(m[2]!);
    const unitPrice = parseAmount(m[3]!);
    const amount = parseAmount(m[4]!);
    if (quantity === undefined || unitPrice === undefined || amount === undefined) continue;
    if (first < 0) first = i;
    items.push({ description: m[1]!.trim(), quantity, unitPrice, amount });
  }
  return items.length ? { value: items, confidence: 0.85, line: first } : undefined;
}

/** A vendor's key for templates: its VAT id (checksum-valid) if printed anywhere, else its IBAN. */
export function vendorKey(lines: readonly string[]): string | undefined {
  return scan(lines, /\b[A-Z]{2}[0-9A-Z]{8,12}\b/g, validVatId)?.value ?? scan(lines, /\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b/g, validIban)?.value;
}
