import { readFileSync } from "node:fs";
import { z } from "zod";
import { banking77Paths } from "../../shared/datasets/index.js";
import { ReviewError } from "./errors.js";

/** A field a reviewer may correct, and the values it may take. */
export type CorrectionField = { readonly path: string; readonly label: string } & (
  | { readonly kind: "choice"; readonly options: readonly string[] }
  | { readonly kind: "number"; readonly min: number }
  | { readonly kind: "text"; readonly maxLength: number }
);

export interface RejectReason {
  readonly code: string;
  readonly label: string;
}

/** What a reviewer may do with an item of one flow. */
export interface DecisionForm {
  readonly approve: {
    readonly label: string;
    /** Approving takes the model's suggestion for the first field: without one there is nothing to approve. */
    readonly needsSuggestion: boolean;
    /** Approving needs the reviewer's reason in the comment (accepting a mismatch, say). */
    readonly needsReason: boolean;
  };
  readonly fields: readonly CorrectionField[];
  readonly rejectReasons: readonly RejectReason[];
}

let intents: readonly string[] | undefined;
/** The 77 BANKING77 intents the ticket classifier chooses from. */
export function ticketIntents(): readonly string[] {
  intents ??= z.array(z.string().min(1)).length(77).parse(JSON.parse(readFileSync(banking77Paths.categories, "utf8")));
  return intents;
}

const reasons = (pairs: readonly (readonly [string, string])[]): RejectReason[] => pairs.map(([code, label]) => ({ code, label }));

const generic: DecisionForm = {
  approve: { label: "Approve", needsSuggestion: false, needsReason: false },
  fields: [],
  rejectReasons: reasons([["not_actionable", "Not actionable"], ["policy_violation", "Policy violation"], ["other", "Other"]]),
};

const forms: Record<string, () => DecisionForm> = {
  ticket: () => ({
    approve: { label: "Approve suggestion", needsSuggestion: true, needsReason: false },
    fields: [{ path: "intent", label: "Intent", kind: "choice", options: ticketIntents() }],
    rejectReasons: reasons([
      ["not_actionable", "Not actionable"],
      ["duplicate", "Duplicate ticket"],
      ["spam", "Spam"],
      ["out_of_scope", "Out of scope"],
      ["needs_more_information", "Needs more information"],
      ["policy_violation", "Policy violation"],
      ["other", "Other"],
    ]),
  }),
  invoice: () => ({
    approve: { label: "Accept despite mismatch", needsSuggestion: false, needsReason: true },
    fields: [
      { path: "amount", label: "Amount", kind: "number", min: 0.01 },
      { path: "poNumber", label: "PO number", kind: "text", maxLength: 64 },
      { path: "vendorId", label: "Vendor", kind: "text", maxLength: 64 },
    ],
    rejectReasons: reasons([
      ["duplicate_invoice", "Duplicate invoice"],
      ["no_purchase_order", "No purchase order"],
      ["wrong_vendor", "Wrong vendor"],
      ["price_not_agreed", "Price not agreed"],
      ["goods_not_received", "Goods or service not received"],
      ["other", "Other"],
    ]),
  }),
  // An invoice document (agents/extract): the reviewer settles the fields extraction was unsure of, beside the text.
  document: () => ({
    approve: { label: "Accept extracted fields", needsSuggestion: false, needsReason: false },
    fields: [
      { path: "invoiceNumber", label: "Invoice number", kind: "text", maxLength: 64 },
      { path: "issueDate", label: "Issue date (YYYY-MM-DD)", kind: "text", maxLength: 10 },
      { path: "dueDate", label: "Due date (YYYY-MM-DD)", kind: "text", maxLength: 10 },
      { path: "vendorName", label: "Vendor", kind: "text", maxLength: 256 },
      { path: "vendorVat", label: "Vendor VAT id", kind: "text", maxLength: 32 },
      { path: "iban", label: "IBAN", kind: "text", maxLength: 34 },
      { path: "poNumber", label: "PO number", kind: "text", maxLength: 64 },
      { path: "currency", label: "Currency", kind: "text", maxLength: 3 },
      { path: "net", label: "Net", kind: "number", min: 0 },
      { path: "tax", label: "Tax", kind: "number", min: 0 },
      { path: "total", label: "Total", kind: "number", min: 0 },
    ],
    rejectReasons: reasons([
      ["not_an_invoice", "Not an invoice"],
      ["unreadable", "Unreadable document"],
      ["duplicate_invoice", "Duplicate invoice"],
      ["other", "Other"],
    ]),
  }),
  // A social mention: approving posts the drafted reply (or lifts a pile-on's pause); correcting posts the reviewer's text.
  social: () => ({
    approve: { label: "Approve (post the reply, or resume auto-replies after a pile-on)", needsSuggestion: false, needsReason: false },
    fields: [{ path: "reply", label: "Reply to post", kind: "text", maxLength: 450 }],
    rejectReasons: reasons([
      ["do_not_reply", "Do not reply publicly"],
      ["handled_elsewhere", "Handled in another channel"],
      ["policy_violation", "Policy violation"],
      ["other", "Other"],
    ]),
  }),
};

/** Per flow, what a reviewer may do: approve (and on what), which fields to correct, which reasons to reject with. */
export function decisionForm(flow: string): DecisionForm {
  return forms[flow]?.() ?? generic;
}

function checkValue(field: CorrectionField, value: unknown): string | number {
  const bad = (why: string) => new ReviewError("E_SCHEMA", `corrections.${field.path}: ${why}`);
  switch (field.kind) {
    case "choice":
      if (typeof value !== "string" || !field.options.includes(value)) throw bad(`must be one of the ${field.options.length} allowed values`);
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value) || value < field.min) throw bad(`must be a number of at least ${field.min}`);
      return value;
    case "text": {
      if (typeof value !== "string") throw bad("must be text");
      const text = value.trim();
      if (text.length === 0 || text.length > field.maxLength) throw bad(`must be 1 to ${field.maxLength} characters`);
      return text;
    }
  }
}

/**
 * Keeps the known fields with allowed values that differ from what the task holds (`current`); an error names
 * the field. A correction that changes nothing is refused: it would be an approval under another name.
 */
export function validateCorrections(flow: string, corrections: Record<string, unknown>, current: Readonly<Record<string, unknown>> = {}): Record<string, string | number> {
  const fields = new Map(decisionForm(flow).fields.map((f) => [f.path, f]));
  const out: Record<string, string | number> = {};
  for (const [path, value] of Object.entries(corrections)) {
    const field = fields.get(path);
    if (!field) throw new ReviewError("E_SCHEMA", `corrections.${path}: not a correctable field of flow ${flow}`);
    const checked = checkValue(field, value);
    if (checked !== current[path]) out[path] = checked;
  }
  if (Object.keys(out).length === 0) throw new ReviewError("E_SCHEMA", "corrections: change at least one field (a correction needs one)");
  return out;
}
