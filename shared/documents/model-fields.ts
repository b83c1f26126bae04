import { z } from "zod";
import { describeIssues } from "../errors/index.js";
import type { Extraction } from "./extract.js";
import { invoiceFieldsSchema, type FieldName, type InvoiceFields } from "./fields.js";

/** What the model is told each field means, in the spelling the checks expect. */
const hints: Readonly<Record<FieldName, string>> = {
  invoiceNumber: "the invoice number",
  issueDate: "the issue date, ISO YYYY-MM-DD",
  dueDate: "the due date, ISO YYYY-MM-DD",
  vendorName: "the name of the company that issued the invoice",
  vendorVat: "the issuer's VAT id, no spaces, upper-case",
  iban: "the IBAN to pay to, no spaces, upper-case",
  poNumber: "the buyer's purchase order number (PO, order reference)",
  currency: "ISO 4217 currency code such as EUR",
  net: "the net amount before tax, a number in major units",
  tax: "the tax (VAT) amount, a number in major units",
  total: "the gross total to pay, a number in major units",
  lines: "the line items: description, quantity, unit price and line amount",
};

/** The document text a model may see at most: an invoice fits many times over; a huge text layer is cut, not sent whole. */
const maxTextChars = 24_000;

export interface ModelFieldsRequest {
  readonly fields: readonly FieldName[];
  readonly text: string;
  readonly instructions: string;
  /** Exactly the unsure fields, each nullable (the model says null for a field the document does not print). */
  readonly schema: z.ZodObject;
}

/**
 * What to ask the large model about a printed document after the cheaper tiers: the fields still unsure, or
 * nothing when all are sure, the document is an e-invoice (exact already) or its own figures disagree (a
 * document contradicting itself is a human's to settle, not a model's to smooth over).
 */
export function modelFieldsRequest(x: Extraction): ModelFieldsRequest | undefined {
  if (x.unsure.length === 0 || x.lines.length === 0) return undefined;
  if (x.checks.some((c) => c.arithmetic && !c.ok)) return undefined;
  const shape = Object.fromEntries(x.unsure.map((f) => [f, invoiceFieldsSchema.shape[f].nullable().describe(hints[f])]));
  return {
    fields: x.unsure,
    text: x.lines.join("\n").slice(0, maxTextChars),
    instructions: "The document is an invoice.",
    schema: z.object(shape),
  };
}

/**
 * The model's answer parsed against the request's schema (a journaled answer is parsed again on the way back in):
 * the fields it read, nulls dropped, or the problem naming the field.
 */
export function parseModelFields(req: ModelFieldsRequest, values: unknown): { ok: true; fields: Partial<InvoiceFields> } | { ok: false; problem: string } {
  const parsed = req.schema.safeParse(values);
  if (!parsed.success) return { ok: false, problem: `model answer: ${describeIssues(parsed.error.issues)}` };
  const fields = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== null && v !== undefined)) as Partial<InvoiceFields>;
  return { ok: true, fields };
}
