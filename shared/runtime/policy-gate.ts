import type { CompiledPolicy, Decision, DecisionRequest } from "../../policy/index.js";
import { PolicyDeniedError, TransientError } from "../errors/index.js";
import { RATE_LIMITED, enforceRateLimits, type TokenTaker } from "../../policy/rate-limit/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import type { Logger } from "../telemetry/index.js";
import type { AuditWriter } from "./audit-writer.js";

export interface GateRequest extends Omit<DecisionRequest, "principal"> {
  /** Region whose audit subject records the decision (the task's region). */
  readonly region: string;
  readonly traceId?: string;
  /** Roles of the human acting through this agent (a reviewer deciding in the review service). */
  readonly roles?: readonly string[];
  /** Extra facts for the audit record (model version, reviewer id...). */
  readonly auditDetail?: Record<string, unknown>;
}

/**
 * The runtime's one door to policy: decide, count, audit, and refuse. The policy it enforces can be swapped
 * atomically (a new revision) while tasks run; each decision uses one revision from start to end.
 */
export class PolicyGate {
  constructor(
    private policy: CompiledPolicy,
    private readonly agent: string,
    private readonly instance: string,
    private readonly audit: AuditWriter,
    private readonly metrics: MeshMetrics,
    private readonly log: Logger,
    /** Counters shared by every replica, for the decision's rate_limit obligations. */
    private readonly rateLimits: TokenTaker,
  ) {
    metrics.mesh_policy_revision.set(policy.revision);
  }

  get revision(): number {
    return this.policy.revision;
  }

  get current(): CompiledPolicy {
    return this.policy;
  }

  swap(next: CompiledPolicy): void {
    this.policy = next;
    this.metrics.mesh_policy_revision.set(next.revision);
  }

  /**
   * Decides, takes rate-limit tokens, and audits; throws PolicyDeniedError on deny after the refusal is
   * audited. A spent rate limit is not a verdict on the task: it throws a TransientError, so the task waits.
   */
  async authorize(req: GateRequest): Promise<Decision> {
    const decision = await enforceRateLimits(this.decide(req), this.rateLimits);
    await this.audit.append({
      kind: "decision",
      action: req.action,
      effect: decision.effect,
      reasons: decision.reasons,
      revision: decision.revision,
      digest: decision.digest,
      region: req.region,
      // The request itself (scrubbed of PII by the audit writer), so `mesh policy diff` can replay it.
      request: { resource: req.resource, ...(req.context ? { context: req.context } : {}) },
      ...(req.roles ? { roles: req.roles } : {}),
      ...(req.resource.subject ? { subject: req.resource.subject } : {}),
      ...(req.context?.task ? { taskId: req.context.task.id, flow: req.context.task.flow } : {}),
      ...(req.traceId ? { traceId: req.traceId } : {}),
      ...(decision.shadow.length || decision.warnings.length || req.auditDetail
        ? { detail: { ...req.auditDetail, ...(decision.shadow.length ? { shadow: decision.shadow } : {}), ...(decision.warnings.length ? { warnings: decision.warnings } : {}) } }
        : {}),
    });
    if (decision.effect === "deny") {
      if (decision.reasons[0] === RATE_LIMITED) throw new TransientError("E_RATE_LIMITED", decision.message, { reasons: decision.reasons });
      const approval = decision.obligations.find((o) => o.kind === "require_approval");
      throw new PolicyDeniedError(decision.message, decision.reasons, decision.revision, approval?.kind === "require_approval" ? approval.reason : undefined);
    }
    return decision;
  }

  private decide(req: GateRequest): Decision {
    const { region: _region, traceId: _traceId, roles, auditDetail: _detail, ...request } = req;
    const decision = this.policy.decide({ ...request, principal: { agent: this.agent, instance: this.instance, ...(roles ? { roles } : {}) } });
    this.metrics.mesh_policy_decisions_total.inc({ agent: this.agent, action: req.action, effect: decision.effect });
    if (decision.shadow.length) {
      this.metrics.mesh_policy_decisions_total.inc({ agent: this.agent, action: req.action, effect: "would_deny" });
      this.log.warn({ action: req.action, shadow: decision.shadow, subject: req.resource.subject }, "policy dryrun: would deny");
    }
    return decision;
  }
}
