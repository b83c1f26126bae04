import { z } from "zod";
import { taskEnvelopeSchema, type TaskEnvelope } from "../envelope/index.js";

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

export const resultMessageSchema = z.object({
  envelopeId: z.string(),
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
  digest: z.string(),
  flow: z.string(),
  envelope: taskEnvelopeSchema,
  /** Machine-readable reason code (mismatch_amount, low_confidence, residency, approval_required...). */
  code: z.string(),
  reason: z.string(),
  suggestions: z.unknown().optional(),
  snapshot: z.unknown().optional(),
  requestedBy: z.object({ name: z.string(), version: z.string() }),
  requestedAt: z.string(),
  policyRevision: z.number(),
  traceparent: z.string(),
});
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

export function taskFacts(e: TaskEnvelope) {
  return { id: e.id, flow: e.flow, region: e.region, tenant: e.tenant, classification: e.classification };
}
