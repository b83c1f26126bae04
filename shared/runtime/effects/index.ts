import type { TokenTaker } from "../../../policy/rate-limit/index.js";
import type { BudgetCounter } from "../../../policy/budget/index.js";
import type { Logger, MeshMetrics } from "../../telemetry/index.js";
import { audit, type AuditAppender } from "./audit.js";
import { budgets } from "./budgets.js";
import { metrics } from "./metrics.js";
import { obligations } from "./obligations.js";
import { pipeline, type Perform } from "./pipeline.js";
import { policyDecision, type Decider } from "./policy-decision.js";
import { tracing } from "./tracing.js";

export { pipeline, type Effect, type EffectTrail, type Interceptor, type Next, type Perform, type RuntimeFacts } from "./pipeline.js";
export { refusalOf } from "./refusal.js";
export type { AuditAppender } from "./audit.js";

export interface EffectPipelineDeps {
  readonly policy: Decider;
  readonly audit: AuditAppender;
  readonly rateLimits: TokenTaker;
  /** Spend counters every replica shares, for the policy's `budget` obligations on model calls. */
  readonly budgets: BudgetCounter;
  readonly metrics: MeshMetrics;
  readonly log: Logger;
  /** The principal's name, for metrics labels. */
  readonly agent: string;
}

/**
 * The one door to effects, for agents, services and the CLI alike: tracing → metrics → audit → policy decision →
 * obligations → budgets → the effect. Audit sits outside the decision so a refusal is recorded before it is thrown.
 */
export function createEffectPipeline(deps: EffectPipelineDeps): Perform {
  return pipeline(
    tracing(),
    metrics(deps.metrics, deps.log, deps.agent),
    audit(deps.audit),
    policyDecision(deps.policy),
    obligations(deps.rateLimits),
    budgets(deps.budgets, deps.log),
  );
}
