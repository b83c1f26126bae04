import { redactText, scrubValue } from "../../policy/pii/index.js";

/** One audit record: a policy decision or an effect, never the task's content in clear. */
export interface AuditEntry {
  readonly kind: "decision" | "effect" | "policy";
  readonly action: string;
  readonly effect: "allow" | "deny" | "done" | "rejected";
  /** For decisions: whether the effect then ran, was refused, or failed after it was allowed (one record per effect). */
  readonly outcome?: "done" | "refused" | "failed";
  readonly reasons?: readonly string[];
  readonly revision?: number;
  /** sha256 of the canonical policy document whose revision decided (decision records). */
  readonly digest?: string;
  readonly subject?: string;
  readonly taskId?: string;
  readonly flow?: string;
  readonly region: string;
  readonly traceId?: string;
  readonly detail?: Record<string, unknown>;
  /** For decisions: what was asked, so a candidate policy can be replayed against it. */
  readonly request?: { readonly resource: unknown; readonly context?: unknown };
  /** Roles of the human behind the decision, if any. */
  readonly roles?: readonly string[];
}

/**
 * Fields that name things rather than say things: an enum, a generated id or hash, a region code. A value in
 * its format cannot carry free text, so it is kept as is; a value outside it is scrubbed like free text.
 * Scrubbing a random hex id could only corrupt it (a run of digits can pass a card checksum), never protect anyone.
 */
export const idFormats: Readonly<Record<string, RegExp>> = {
  kind: /^(decision|effect|policy)$/,
  effect: /^(allow|deny|done|rejected)$/,
  outcome: /^(done|refused|failed)$/,
  action: /^[a-z]+(\.[a-z]+)+$/,
  digest: /^[0-9a-f]{64}$/,
  taskId: /^env_[0-9a-f]{32}$/,
  traceId: /^[0-9a-f]{32}$/,
  region: /^[a-z]{2}(-[a-z]+)*$/,
  flow: /^[a-z][a-z_-]*$/,
};

/**
 * Audit records repeat the same subjects, rule ids, regions and tenants on every task, so each distinct short
 * string is run through the detectors once (the result is the same either way: redactText depends on the text
 * alone). Bounded: the cache starts over when full, since per-task strings (envelope ids, state keys) churn it.
 */
const scrubbedTexts = new Map<string, string>();
const maxCachedTexts = 4096;
const maxCachedLength = 256;

/**
 * Envelope ids inside a text (a KV key `$KV.mesh_seen.env_…`, a subject, a task fact) are fixed-format hex and carry
 * nothing personal, but make every such text new to the cache. They are set aside before the lookup and put back after,
 * so `$KV.mesh_seen.<any id>` is scanned once. The stand-in has no digits (no number detector can take it, nor a
 * run of digits it borders); should the detectors still touch it, the text is scrubbed whole instead.
 */
const envelopeIdInText = /\benv_[0-9a-f]{32}\b/g;
const idStandIn = `env_${"f".repeat(32)}`;

function scrubText(text: string): string {
  if (text.length > maxCachedLength) return redactText(text).text;
  const ids = text.match(envelopeIdInText);
  const shape = ids ? text.replace(envelopeIdInText, idStandIn) : text;
  let out = scrubbedTexts.get(shape);
  if (out === undefined) {
    if (scrubbedTexts.size >= maxCachedTexts) scrubbedTexts.clear();
    scrubbedTexts.set(shape, (out = redactText(shape).text));
  }
  if (!ids) return out;
  const parts = out.split(idStandIn);
  if (parts.length !== ids.length + 1) return redactText(text).text;
  return parts.reduce((whole, part, i) => whole + ids[i - 1]! + part);
}

/**
 * The body of an entry's audit record: PII redacted from everything that can hold free text (subject, reasons,
 * roles, detail, request, and any id field not in its format), id fields passed through unscanned. It runs on
 * every effect, so the detectors only see what could hold PII.
 */
export function auditBody(entry: AuditEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(entry) as (keyof AuditEntry)[]) {
    const value = entry[key];
    if (value === undefined) continue;
    const format = idFormats[key];
    out[key] = typeof value === "number" || (format && typeof value === "string" && format.test(value)) ? value : scrubValue(value, undefined, scrubText);
  }
  return out;
}
