import { SchemaError } from "../errors/index.js";
import { runChecks, type CheckResult } from "./checks.js";
import { fieldNames, type FieldName, type InvoiceFields } from "./fields.js";
import { heuristicFields, tableLines, vendorKey } from "./heuristics.js";
import { pdfLines, textLines } from "./text-layer.js";
import { applyTemplate, type VendorTemplate } from "./templates.js";
import { readXmlInvoice } from "./xml-invoice.js";

/** A field at or above this confidence may complete without a human. */
export const sureAt = 0.8;

export type Tier = "xml" | "template" | "heuristic" | "llm";
export type DocumentKind = "ubl" | "cii" | "pdf" | "text";

export interface Extraction {
  readonly kind: DocumentKind;
  /** The vendor's template key (VAT id or IBAN found in the text), if any. */
  readonly vendorKey: string | undefined;
  readonly fields: Partial<InvoiceFields>;
  readonly confidence: Readonly<Partial<Record<FieldName, number>>>;
  readonly tier: Readonly<Partial<Record<FieldName, Tier>>>;
  readonly checks: readonly CheckResult[];
  /** Fields missing or under `sureAt`: what a reviewer is shown first. */
  readonly unsure: readonly FieldName[];
  /** complete only when every field is sure and the document's figures agree with each other. */
  readonly decision: "complete" | "review";
  readonly reasons: readonly string[];
  /** The document's text as read (printed formats), for the reviewer and for learning templates. */
  readonly lines: readonly string[];
}

export interface DocumentInput {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** Finds the template of a vendor key; the agent reads it from its state, the eval from memory. */
export type TemplateLookup = (vendor: string) => Promise<VendorTemplate | undefined> | VendorTemplate | undefined;

/**
 * The invoice fields of one document, cheapest tier first: an e-invoice XML is read exactly; a printed document
 * is read by its vendor's learned template, then by known labels. Checks over the document's own figures then
 * raise or lower each field's confidence. A document that cannot be read at all throws a SchemaError naming why.
 */
export async function extractInvoice(doc: DocumentInput, templates: TemplateLookup = () => undefined): Promise<Extraction> {
  const type = doc.contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "application/xml" || type === "text/xml") {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(doc.bytes);
    const { syntax, fields } = readXmlInvoice(text);
    const tier = Object.fromEntries(fieldNames.map((f) => [f, "xml"])) as Record<FieldName, Tier>;
    return judge(syntax, undefined, fields, Object.fromEntries(fieldNames.map((f) => [f, 1])), tier, []);
  }
  let kind: DocumentKind;
  let lines: string[];
  if (type === "application/pdf") {
    kind = "pdf";
    lines = await pdfLines(doc.bytes);
  } else if (type === "text/plain" || type === "message/rfc822") {
    kind = "text";
    lines = textLines(new TextDecoder("utf-8", { fatal: false }).decode(doc.bytes));
  } else {
    throw new SchemaError(`document: content type ${JSON.stringify(doc.contentType)} is not one of application/pdf, text/plain, message/rfc822, application/xml`);
  }
  if (!lines.length) throw new SchemaError(`document: the ${kind === "pdf" ? "PDF has no text layer (a scan needs OCR first)" : "text is empty"}`);
  const vendor = vendorKey(lines);
  const template = vendor ? await templates(vendor) : undefined;
  const learned = template ? applyTemplate(template, lines) : {};
  const guessed = heuristicFields(lines);
  const fields: Record<string, unknown> = {};
  const confidence: Partial<Record<FieldName, number>> = {};
  const tier: Partial<Record<FieldName, Tier>> = {};
  const ambiguous: Partial<Record<"issueDate" | "dueDate", { iso: string; alternative: string }>> = {};
  for (const field of fieldNames) {
    if (field === "lines") continue;
    const fromTemplate = learned[field];
    const fromLabels = guessed[field];
    if (fromTemplate) {
      fields[field] = fromTemplate.value;
      confidence[field] = 0.95;
      tier[field] = "template";
    } else if (fromLabels) {
      fields[field] = fromLabels.value;
      confidence[field] = fromLabels.confidence;
      tier[field] = "heuristic";
      if (fromLabels.ambiguousDate && (field === "issueDate" || field === "dueDate")) ambiguous[field] = fromLabels.ambiguousDate;
    }
  }
  const table = tableLines(lines);
  if (table) {
    fields.lines = table.value;
    confidence.lines = table.confidence;
    tier.lines = "heuristic";
  }
  resolveDateOrder(fields, confidence, ambiguous);
  return judge(kind, vendor, fields as Partial<InvoiceFields>, confidence, tier, lines);
}

/**
 * Slashed dates that read both ways (03/04/2026): the reading in which the invoice falls due after it was
 * issued, within 120 days, is taken when only one reading does; otherwise they stay unsure.
 */
function resolveDateOrder(fields: Record<string, unknown>, confidence: Partial<Record<FieldName, number>>, ambiguous: Partial<Record<"issueDate" | "dueDate", { iso: string; alternative: string }>>): void {
  if (!ambiguous.issueDate && !ambiguous.dueDate) return;
  const issue = ambiguous.issueDate ?? { iso: fields.issueDate as string, alternative: fields.issueDate as string };
  const due = ambiguous.dueDate ?? { iso: fields.dueDate as string, alternative: fields.dueDate as string };
  if (!issue.iso || !due.iso) return;
  const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
  const plausible = (a: string, b: string) => days(a, b) >= 0 && days(a, b) <= 120;
  const readings = [
    [issue.iso, due.iso],
    [issue.alternative, due.alternative],
  ].filter(([a, b]) => plausible(a!, b!));
  if (readings.length !== 1) return;
  [fields.issueDate, fields.dueDate] = readings[0]!;
  for (const f of ["issueDate", "dueDate"] as const) if (ambiguous[f]) confidence[f] = 0.85;
}

/**
 * Confidence of a field the large model read: enough to complete, under a template's, and still judged by the
 * checks (a figure that disagrees with the others drops every amount to unsure).
 */
export const llmConfidence = 0.85;

/** The extraction with the fields the large model answered taken in, judged again by the same checks. */
export function withModelFields(x: Extraction, answered: Partial<InvoiceFields>): Extraction {
  const fields: Record<string, unknown> = { ...x.fields };
  const confidence = { ...x.confidence };
  const tier = { ...x.tier };
  const printed = compact(x.lines.join(" "));
  for (const field of fieldNames) {
    const value = answered[field];
    if (value === undefined) continue;
    fields[field] = value;
    // A text field no check covers (a PO or invoice number, the vendor) is only as sure as the document says: an
    // answer not printed in it is the model's invention and stays unsure, for a human.
    confidence[field] = verbatimFields.includes(field) && !printed.includes(compact(String(value))) ? notPrinted : llmConfidence;
    tier[field] = "llm";
  }
  return judge(x.kind, x.vendorKey, fields as Partial<InvoiceFields>, confidence, tier, [...x.lines]);
}

/** Fields an invoice prints as they are (dates, amounts and currencies it may print in any of several forms). */
const verbatimFields: readonly FieldName[] = ["invoiceNumber", "poNumber", "vendorName", "vendorVat", "iban"];

/** The confidence of a model's text answer that the document does not print. */
const notPrinted = 0.2;

/** Case and spacing aside (an IBAN printed in groups, a name across a line break). */
const compact = (text: string) => text.toLowerCase().replace(/\s+/g, "");

const amountFields: readonly FieldName[] = ["net", "tax", "total", "lines"];

function judge(kind: DocumentKind, vendor: string | undefined, fields: Partial<InvoiceFields>, given: Partial<Record<FieldName, number>>, tier: Partial<Record<FieldName, Tier>>, lines: string[]): Extraction {
  const confidence: Partial<Record<FieldName, number>> = { ...given };
  const checks = runChecks(fields);
  const adjust = (fs: readonly FieldName[], ok: boolean, up: number, down: number) => {
    for (const f of fs) if (confidence[f] !== undefined) confidence[f] = ok ? Math.max(confidence[f]!, up) : Math.min(confidence[f]!, down);
  };
  const failed = checks.filter((c) => !c.ok);
  const arithmeticFailed = failed.some((c) => c.arithmetic);
  for (const c of checks) {
    if (c.name === "iban") adjust(["iban"], c.ok, 0.95, 0.2);
    if (c.name === "vatId") adjust(["vendorVat"], c.ok, 0.95, 0.2);
    if (c.name === "datesValid" && !c.ok) adjust(["issueDate", "dueDate"], false, 0, 0);
    if (c.name === "dueAfterIssue" && !c.ok) adjust(["issueDate", "dueDate"], false, 0, 0.5);
  }
  // Amounts are sure together or not at all: every figure agreeing with the others is what makes any of them sure.
  const arithmetic = checks.filter((c) => c.arithmetic);
  if (arithmetic.length === 3) adjust(amountFields, !arithmeticFailed, 0.99, 0.3);
  else if (arithmeticFailed) adjust(amountFields, false, 0, 0.3);
  const unsure = fieldNames.filter((f) => fields[f] === undefined || (confidence[f] ?? 0) < sureAt);
  const reasons = [
    ...failed.map((c) => `${c.name} failed: ${c.detail}`),
    ...(unsure.length ? [`unsure: ${unsure.join(", ")}`] : []),
  ];
  const decision = unsure.length === 0 && !arithmeticFailed ? "complete" : "review";
  return { kind, vendorKey: vendor ?? fields.vendorVat, fields, confidence, tier, checks, unsure, decision, reasons, lines };
}
