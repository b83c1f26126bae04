/**
 * The audit cost of one effect without the network: the record the gate writes for a decision, its PII scrub,
 * its hash link, and a signed checkpoint every 100 records (so signing is amortised as in production).
 * Reusable by any bench that wants an audit line beside its own figures.
 */
import { AuditChain } from "../../policy/audit-chain/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import type { Decision, DecisionRequest } from "../../policy/index.js";
import { auditBody, type AuditEntry } from "../../shared/runtime/audit-entry.js";

/** The decision record as shared/runtime/policy-gate.ts builds it. */
export function decisionEntry(req: DecisionRequest, decision: Decision): AuditEntry {
  const task = req.context?.task as { id?: string; flow?: string } | undefined;
  return {
    kind: "decision",
    action: req.action,
    effect: decision.effect,
    reasons: decision.reasons,
    revision: decision.revision,
    digest: decision.digest,
    region: "eu",
    request: { resource: req.resource, ...(req.context ? { context: req.context } : {}) },
    ...(req.resource.subject ? { subject: req.resource.subject } : {}),
    ...(task?.id ? { taskId: task.id, flow: task.flow } : {}),
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  };
}

/** A function that appends one effect's audit record to a signed chain, as AuditWriter does before publishing. */
export function auditAppender(checkpointEvery = 100): (entry: AuditEntry) => number {
  const chain = new AuditChain({ instance: "bench-1", agent: "bench", signingSeed: createSigningKey().seed, checkpointEvery });
  return (entry) => chain.append(auditBody(entry)).length;
}
