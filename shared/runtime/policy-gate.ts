import type { CompiledPolicy, Decision, DecisionRequest } from "../../policy/index.js";
import type { MeshMetrics } from "../telemetry/index.js";

/**
 * The policy revision in force in this process. It is swapped atomically when a new signed revision arrives
 * while tasks run; each decision uses one revision from start to end. Decisions are made only by the effect
 * pipeline's policy interceptor (shared/runtime/effects).
 */
export class PolicyGate {
  constructor(
    private policy: CompiledPolicy,
    private readonly metrics: MeshMetrics,
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

  decide(req: DecisionRequest): Decision {
    return this.policy.decide(req);
  }
}
