import { subjects } from "../bus/index.js";
import { categoryFieldOf, createCorrection, parseEnvelope, sha256Hex } from "../envelope/index.js";
import type { Decision, DecisionRequest } from "../../policy/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import type { EffectScope, ReviewDecisionInput } from "./context.js";
import { taskFacts, type Label, type ReviewApproval, type ReviewDecision, type ReviewRequest } from "./messages.js";
import { sealDecision } from "./review-verification.js";

/**
 * Distinct approvers policy will ask for before the escalating agent may complete the task with these values
 * (its category as corrected or approved): 1 unless a `require_approval` obligation names more. A question to the
 * policy, not an effect: nothing is done or recorded.
 */
export function approversFor(policy: { decide(req: DecisionRequest): Decision }, request: ReviewRequest, values: Readonly<Record<string, unknown>> | undefined): number {
  const task = parseEnvelope(request.envelope);
  const field = categoryFieldOf(task.flow);
  const category = field ? values?.[field] : undefined;
  if (typeof category !== "string") return 1;
  return approversNamed(
    policy.decide({
      action: "task.complete",
      principal: { agent: request.requestedBy.name },
      resource: { subject: subjects.result(task.flow), region: task.region, category },
      context: { task: taskFacts(task), approved: true, approvals: 1 },
    }),
  );
}

/**
 * Distinct approvers policy asks for before `agent` may complete a task of `flow` as `category`, knowing nothing
 * else about the task: the policy's answer to "is this category high-risk", for those (the trainer) that must
 * treat such categories with more care without keeping a copy of the policy's list.
 */
export function approversForCategory(policy: { decide(req: DecisionRequest): Decision }, agent: string, flow: string, category: string): number {
  return approversNamed(
    policy.decide({
      action: "task.complete",
      principal: { agent },
      resource: { subject: subjects.result(flow), category },
      context: { approved: true, approvals: 1 },
    }),
  );
}

function approversNamed(verdict: Decision): number {
  const approval = verdict.obligations.find((o) => o.kind === "require_approval");
  return approval?.kind === "require_approval" ? Math.max(1, approval.approvers ?? 1) : 1;
}

type ApprovalInput = Parameters<import("./context.js").ServiceContext["approve"]>[0];

/**
 * One approver's approval that does not decide yet (four-eyes): policy `review.decide` with their roles, audited,
 * and signed by the recording identity, so the final decision can carry it and the resuming agent verify it.
 */
export async function recordApproval(scope: EffectScope, input: ApprovalInput, identitySeed: string): Promise<ReviewApproval> {
  const task = parseEnvelope(input.request.envelope);
  return scope.perform({
    action: "review.decide",
    principal: { ...scope.principal, roles: input.reviewer.roles },
    resource: { subject: subjects.reviewDecided(task.flow), region: task.region },
    facts: scope.facts(task),
    region: task.region,
    auditDetail: { reviewer: input.reviewer.id, decision: input.decision, pendingApprovers: true },
    run: async () =>
      sealDecision(
        {
          envelopeId: task.id,
          digest: task.digest,
          decision: input.decision,
          ...(input.corrections ? { corrections: { ...input.corrections } } : {}),
          ...(input.comment ? { comment: input.comment } : {}),
          reviewer: { id: input.reviewer.id, roles: [...input.reviewer.roles] },
          decidedAt: new Date().toISOString(),
        },
        identitySeed,
      ),
  });
}

/**
 * A reviewer's decision, as effects: policy `review.decide` (with the reviewer's roles), then the decision,
 * the label and the correction, each idempotent per envelope so a double-submitted form has one effect.
 */
export async function recordReviewDecision(
  scope: EffectScope,
  metrics: MeshMetrics,
  policyRevision: number,
  input: ReviewDecisionInput,
  /** The recording identity's seed: the escalating agent resumes only on a decision it can verify. */
  identitySeed: string,
): Promise<ReviewDecision> {
  const { request, reviewer } = input;
  const task = parseEnvelope(request.envelope);
  const decidedAt = new Date();
  const leadTimeMs = Math.max(0, decidedAt.getTime() - Date.parse(request.requestedAt));
  // The human acts through this agent: policy sees the agent with the reviewer's roles.
  const gateExtra = { principal: { ...scope.principal, roles: reviewer.roles }, auditDetail: { reviewer: reviewer.id, decision: input.decision } };
  const decision = sealDecision({
    envelopeId: task.id,
    source: task.source,
    digest: task.digest,
    flow: task.flow,
    envelope: task,
    requestedBy: request.requestedBy,
    decision: input.decision,
    ...(input.corrections ? { corrections: { ...input.corrections } } : {}),
    ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
    ...(input.comment ? { comment: input.comment } : {}),
    reviewer: { id: reviewer.id, roles: [...reviewer.roles] },
    requestedAt: request.requestedAt,
    decidedAt: decidedAt.toISOString(),
    leadTimeMs,
    policyRevision,
    traceparent: scope.traceparent,
    ...(input.approvals?.length ? { approvals: [...input.approvals] } : {}),
  }, identitySeed);
  // review.decide is asked once, for the decision; the events that carry it are event.emit effects.
  await scope.publishEffect(task, "review.decide", subjects.reviewDecided(task.flow), "decided", decision, gateExtra);
  if (input.label) {
    const label: Label = {
      envelopeId: task.id,
      inputDigest: `sha256:${sha256Hex(input.label.text)}`,
      text: input.label.text,
      prediction: input.label.prediction,
      correction: input.label.correction,
      reviewer: decision.reviewer,
      leadTimeMs,
      policyRevision,
      modelVersion: input.label.modelVersion,
      ...(input.label.tier !== undefined ? { tier: input.label.tier } : {}),
      ...(input.label.confidence !== undefined ? { confidence: input.label.confidence } : {}),
      at: decision.decidedAt,
    };
    await scope.publishEffect(task, "event.emit", subjects.label(task.flow), "label", label, gateExtra);
  }
  if (input.decision === "correct" && input.corrections && Object.keys(input.corrections).length) {
    const correction = createCorrection({
      kind: "correction",
      envelopeId: task.id,
      envelopeDigest: task.digest,
      fields: { ...input.corrections },
      author: reviewer.id,
      ...(input.comment ? { reason: input.comment } : {}),
      at: decidedAt,
    });
    await scope.publishEffect(task, "event.emit", subjects.correction(task.flow), "correction", correction, gateExtra);
    metrics.mesh_corrections_total.inc({ flow: task.flow });
  }
  metrics.mesh_review_duration_seconds.observe({ flow: task.flow }, leadTimeMs / 1000);
  return decision;
}
