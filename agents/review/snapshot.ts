import { z } from "zod";
import { documentRefV1, redactText, scrubValue, type ReviewRequest } from "../../shared/runtime/index.js";
import { decisionForm, type DecisionForm } from "./decision-forms.js";
import { approversNeeded } from "./four-eyes.js";
import { reasonSentences } from "./reason-sentences.js";
import type { HistoryEntry, QueueItem } from "./queue.js";

/** One model's opinion as the reviewer sees it. */
export interface Suggestion {
  readonly source: string;
  /** The tier that made it (small, large), when the request says. */
  readonly tier: string | null;
  readonly label: string | null;
  readonly confidence: number | null;
  readonly version: string | null;
  readonly error: string | null;
}

/** Everything the detail screen shows. Every string that came from the task has been through PII redaction. */
export interface ItemView {
  readonly id: string;
  readonly flow: string;
  readonly status: QueueItem["status"];
  readonly requiresApproval: boolean;
  readonly claim: QueueItem["claim"];
  readonly decided: QueueItem["decided"];
  readonly dueAt: string;
  readonly breaches: number;
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly tenant: string;
  readonly region: string;
  readonly classification: string;
  readonly input: unknown;
  /** The reason as sent, and as sentences for the screen. */
  readonly escalation: { readonly code: string; readonly reason: string; readonly sentences: readonly string[]; readonly policyRevision: number };
  readonly suggestions: readonly Suggestion[];
  readonly prediction: Suggestion | null;
  readonly draft: string | null;
  readonly details: unknown;
  /** An extracted document: its text beside the fields read from it, the unsure ones named (agents/extract). */
  readonly document: DocumentView | null;
  /** What the reviewer may do with this flow's items. */
  readonly form: DecisionForm;
  /** Distinct approvers an approval needs now, and who approved so far (with the values they approved). */
  readonly approversNeeded: number;
  readonly approvals: readonly { readonly reviewer: string; readonly decision: string; readonly corrections: unknown; readonly at: string }[];
  readonly history: readonly HistoryEntry[];
}

export interface DocumentView {
  /** The stored document's type as its reference names it (a PDF is shown as its rendered page); null when the task names none. */
  readonly contentType: string | null;
  readonly text: readonly string[];
  readonly fields: Readonly<Record<string, unknown>>;
  readonly confidence: Readonly<Record<string, number>>;
  readonly unsure: readonly string[];
}

const extracted = z.object({
  text: z.array(z.string()).max(2000),
  fields: z.record(z.string(), z.unknown()),
  confidence: z.record(z.string(), z.number()).default({}),
  unsure: z.array(z.string()).default([]),
});

/** The document view of a snapshot that has the shape the extract agent sends, else null. */
function documentOf(snapshot: unknown, payload: unknown): DocumentView | null {
  const parsed = extracted.safeParse(snapshot);
  if (!parsed.success) return null;
  const { text, fields, confidence, unsure } = parsed.data;
  const ref = documentRefV1.safeParse((payload as { document?: unknown } | undefined)?.document);
  return { contentType: ref.success ? ref.data.contentType : null, text: text.map((l) => redactText(l).text), fields: scrubValue(fields) as Record<string, unknown>, confidence, unsure };
}

/** The queue row: enough to choose, nothing more. */
export interface ItemSummary {
  readonly id: string;
  readonly flow: string;
  readonly status: QueueItem["status"];
  readonly requiresApproval: boolean;
  readonly code: string;
  readonly preview: string;
  readonly prediction: string | null;
  readonly confidence: number | null;
  readonly claimedBy: string | null;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly breaches: number;
  readonly approvals: number;
  readonly approversNeeded: number;
  /** May be approved together with others of the same suggestion by this reviewer (low-risk as policy says). */
  readonly bulkApprovable?: boolean;
}

const tried = z.object({
  tier: z.string().optional(),
  model: z.string().optional(),
  label: z.string().nullable().optional(),
  confidence: z.number().optional(),
  modelVersion: z.string().optional(),
  error: z.string().optional(),
});
const classified = z.object({
  label: z.string().nullable().optional(),
  intent: z.string().nullable().optional(),
  confidence: z.number().optional(),
  tier: z.string().optional(),
  model: z.string().optional(),
  modelVersion: z.string().optional(),
  tried: z.array(tried).optional(),
  suggestedReply: z.string().nullable().optional(),
  draft: z.string().nullable().optional(),
});

/** The router names a local model `name@version`; the version column gets the part after the @. */
function toSuggestion(t: z.infer<typeof tried>): Suggestion {
  const [model, pinned] = (t.model ?? "").split("@");
  return {
    source: [t.tier, model].filter(Boolean).join(" · ") || "model",
    tier: t.tier ?? null,
    label: t.label ?? null,
    confidence: t.confidence ?? null,
    version: t.modelVersion ?? pinned ?? null,
    error: t.error ?? null,
  };
}

/**
 * Reads the models' suggestions from a request in the shapes agents send them: a list of tiers tried, or a
 * classification (label or intent, confidence, model, version) with the tiers it tried. Anything else is
 * shown as details.
 */
export function readSuggestions(request: ReviewRequest): { suggestions: Suggestion[]; prediction: Suggestion | null; draft: string | null; details: unknown } {
  const sources = [request.suggestions, request.snapshot];
  const suggestions: Suggestion[] = [];
  let headline: Suggestion | null = null;
  let draft: string | null = null;
  const rest: unknown[] = [];
  for (const source of sources) {
    if (source === undefined) continue;
    const list = z.array(tried).safeParse(source);
    if (list.success) {
      suggestions.push(...list.data.map(toSuggestion));
      continue;
    }
    const one = classified.safeParse(source);
    const label = one.success ? (one.data.label ?? one.data.intent) : undefined;
    if (one.success && (label !== undefined || one.data.tried)) {
      if (label !== undefined)
        headline ??= toSuggestion({ ...one.data, label });
      if (one.data.tried) suggestions.push(...one.data.tried.map(toSuggestion));
      draft ??= one.data.suggestedReply ?? one.data.draft ?? null;
      continue;
    }
    rest.push(source);
  }
  // The tiers tried carry no version; the headline's version belongs to the tier that produced it.
  const withVersions = suggestions.map((s) =>
    s.version === null && headline && s.source === headline.source ? { ...s, version: headline.version } : s,
  );
  const ranked = [...(headline ? [headline] : []), ...withVersions].filter((s) => s.label !== null);
  const prediction = headline?.label ? headline : ranked.sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0))[0] ?? null;
  return {
    suggestions: headline && !withVersions.some((s) => s.source === headline.source) ? [headline, ...withVersions] : withVersions,
    prediction,
    draft,
    details: rest.length === 0 ? null : rest.length === 1 ? rest[0] : rest,
  };
}

/** The text a label is made of: the ticket text, redacted; flows without free text give no label. */
export function labelText(request: ReviewRequest): string | null {
  const text = (request.envelope.payload as { text?: unknown } | undefined)?.text;
  return typeof text === "string" ? redactText(text).text : null;
}

/** Approvers the item needs as its pending approvals stand (a pending correction needs a second person). */
const neededNow = (item: QueueItem) =>
  Math.max(item.approversNeeded ?? 1, approversNeeded(item, item.approvals?.some((a) => a.decision === "correct") ? "correct" : "approve"));

export function viewOf(item: QueueItem): ItemView {
  const r = item.request;
  const doc = documentOf(r.snapshot, r.envelope.payload);
  // A document's fields and text are shown as the document, not again as raw details.
  const s = doc ? { ...readSuggestions({ ...r, snapshot: undefined }) } : readSuggestions(r);
  return {
    id: item.id,
    flow: item.flow,
    status: item.status,
    requiresApproval: item.requiresApproval,
    claim: item.claim,
    decided: item.decided,
    dueAt: item.dueAt,
    breaches: item.breaches,
    requestedAt: r.requestedAt,
    requestedBy: `${r.requestedBy.name}@${r.requestedBy.version}`,
    tenant: r.envelope.tenant,
    region: r.envelope.region,
    classification: r.envelope.classification,
    input: scrubValue(r.envelope.payload),
    escalation: { code: r.code, reason: redactText(r.reason).text, sentences: reasonSentences(redactText(r.reason).text), policyRevision: r.policyRevision },
    suggestions: scrubValue(s.suggestions) as Suggestion[],
    prediction: scrubValue(s.prediction) as Suggestion | null,
    draft: s.draft === null ? null : redactText(s.draft).text,
    details: scrubValue(s.details),
    document: doc,
    form: decisionForm(item.flow),
    approversNeeded: neededNow(item),
    approvals: (item.approvals ?? []).map((a) => ({ reviewer: a.reviewer.id, decision: a.decision, corrections: scrubValue(a.corrections ?? null), at: a.decidedAt })),
    history: item.history ?? [],
  };
}

export function summaryOf(item: QueueItem): ItemSummary {
  const r = item.request;
  const text = labelText(r) ?? redactText(r.reason).text;
  const { prediction } = readSuggestions(r);
  return {
    id: item.id,
    flow: item.flow,
    status: item.status,
    requiresApproval: item.requiresApproval,
    code: r.code,
    // Cut after redacting: a cut value could slip past the detectors.
    preview: text.length > 140 ? `${text.slice(0, 140)}…` : text,
    prediction: prediction?.label ?? null,
    confidence: prediction?.confidence ?? null,
    claimedBy: item.claim?.reviewer ?? null,
    requestedAt: r.requestedAt,
    dueAt: item.dueAt,
    breaches: item.breaches,
    approvals: item.approvals?.length ?? 0,
    approversNeeded: neededNow(item),
  };
}
