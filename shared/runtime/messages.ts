import { z } from "zod";
import { taskAttributesOf, taskEnvelopeSchema, type TaskEnvelope } from "../envelope/index.js";

/**
 * The bodies the runtime publishes. The envelope travels whole so every hop (and the review screen) has the
 * full context; what a stage adds rides beside it, never inside it.
 */
export const taskMessageSchema = z.object({
  envelope: taskEnvelopeSchema,
  stage: z.string(),
  from: z.object({ name: z.string(), version: z.string() }),
  data: z.unknown().optional(),
});
export type TaskMessage = z.infer<typeof taskMessageSchema>;

/**
 * The caller's own name for its event (source system + id) on every outcome, so a publisher finds what became of
 * what it sent without re-deriving the envelope id. Optional only because messages written before it existed
 * may still be in the streams.
 */
export const sourceRefSchema = z.object({ system: z.string(), id: z.string() });

export const resultMessageSchema = z.object({
  envelopeId: z.string(),
  source: sourceRefSchema.optional(),
  digest: z.string(),
  flow: z.string(),
  tenant: z.string(),
  region: z.string(),
  agent: z.string(),
  agentVersion: z.string(),
  result: z.unknown(),
  completedAt: z.string(),
  traceparent: z.string(),
  createdAt: z.string(),
});
export type ResultMessage = z.infer<typeof resultMessageSchema>;

export const reviewRequestSchema = z.object({
  envelopeId: z.string(),
  source: sourceRefSchema.optional(),
  digest: z.string(),
  flow: z.string(),
  envelope: taskEnvelopeSchema,
  /** Machine-readable reason code (mismatch_amount, low_confidence, residency, approval_required...). */
  code: z.string(),
  reason: z.string(),
  suggestions: z.unknown().optional(),
  snapshot: z.unknown().optional(),
  /** Distinct approvers policy asks for (four-eyes: 2); absent means one. */
  approvers: z.number().int().min(1).max(10).optional(),
  requestedBy: z.object({ name: z.string(), version: z.string() }),
  requestedAt: z.string(),
  policyRevision: z.number(),
  traceparent: z.string(),
});
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

export function taskFacts(e: TaskEnvelope) {
  const attributes = taskAttributesOf(e.flow, e.payload);
  return { id: e.id, flow: e.flow, region: e.region, tenant: e.tenant, classification: e.classification, ...(attributes ? { attributes } : {}) };
}

export const reviewerSchema = z.object({ id: z.string().min(1), roles: z.array(z.string()) });

const signed = {
  /** Public nkey of the identity that recorded it, and its signature over the rest. */
  signer: z.string().regex(/^U[A-Z2-7]{55}$/, "must be a public user nkey (U...)"),
  signature: z.string().min(1),
};

/** One approver's approval of an item that needs more than one (four-eyes), signed when it was given. */
export const reviewApprovalSchema = z.object({
  envelopeId: z.string(),
  digest: z.string(),
  decision: z.enum(["approve", "correct"]),
  corrections: z.record(z.string(), z.unknown()).optional(),
  comment: z.string().optional(),
  reviewer: reviewerSchema,
  decidedAt: z.string(),
  ...signed,
});
export type ReviewApproval = z.infer<typeof reviewApprovalSchema>;

/** mesh.review.<flow>.decided: what a human decided about an escalated task. */
export const reviewDecisionSchema = z.object({
  envelopeId: z.string(),
  source: sourceRefSchema.optional(),
  digest: z.string(),
  flow: z.string(),
  /** The task as it was escalated, so the agent that asked can resume it. */
  envelope: taskEnvelopeSchema,
  /** The agent that escalated; only it resumes. */
  requestedBy: z.object({ name: z.string(), version: z.string() }),
  decision: z.enum(["approve", "correct", "reject"]),
  /** Field path → corrected value (for tickets: { intent: "card_arrival" }). */
  corrections: z.record(z.string(), z.unknown()).optional(),
  reasonCode: z.string().optional(),
  comment: z.string().optional(),
  reviewer: reviewerSchema,
  requestedAt: z.string(),
  decidedAt: z.string(),
  leadTimeMs: z.number().nonnegative(),
  policyRevision: z.number(),
  traceparent: z.string(),
  /** Earlier approvers of the same values (four-eyes), each signed when they approved. */
  approvals: z.array(reviewApprovalSchema).optional(),
  ...signed,
});
export type ReviewDecision = z.infer<typeof reviewDecisionSchema>;

/** mesh.label.<flow>: training data from a review, with the context needed to weigh it later. */
export const labelSchema = z.object({
  envelopeId: z.string(),
  /** sha256 of `text`, so the same input labelled twice can be found. */
  inputDigest: z.string(),
  /** The input as reviewed, PII-redacted. */
  text: z.string(),
  prediction: z.string().nullable(),
  correction: z.string().nullable(),
  reviewer: reviewerSchema,
  leadTimeMs: z.number().nonnegative(),
  policyRevision: z.number(),
  modelVersion: z.string().nullable(),
  /** Tier that made the prediction (small, large) and the confidence it reported: what the large tier's calibration is fitted on. */
  tier: z.string().nullable().optional(),
  confidence: z.number().min(0).max(1).nullable().optional(),
  at: z.string(),
});
export type Label = z.infer<typeof labelSchema>;

/**
 * KV mesh_seen: an admitted envelope's id, digest and where the task stream holds it. Only that: dedupe needs the
 * id, `mesh replay` reads the (sealed) envelope back from the stream, and no personal data sits in the bucket.
 */
export const admittedRecordSchema = z.object({
  id: z.string().regex(/^env_[0-9a-f]{32}$/),
  digest: z.string(),
  stream: z.string(),
  seq: z.number().int().positive(),
  subject: z.string(),
  at: z.string(),
});
export type AdmittedRecord = z.infer<typeof admittedRecordSchema>;
