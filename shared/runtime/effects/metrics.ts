import type { Logger, MeshMetrics } from "../../telemetry/index.js";
import type { Interceptor } from "./pipeline.js";

/**
 * Counts every decision by action and effect (and the dryrun rules that would have denied), whether the
 * effect then ran, was refused or failed.
 * @example pipeline(metrics(agentMetrics, log, "invoice"), audit(writer), policyDecision(gate))
 */
export function metrics(m: MeshMetrics, log: Logger, agent: string): Interceptor {
  return async function metricsInterceptor(effect, trail, next) {
    try {
      return await next(effect, trail);
    } finally {
      const d = trail.decision;
      if (d) {
        m.mesh_policy_decisions_total.inc({ agent, action: effect.action, effect: d.effect });
        if (d.shadow.length) {
          m.mesh_policy_decisions_total.inc({ agent, action: effect.action, effect: "would_deny" });
          log.warn({ action: effect.action, shadow: d.shadow, subject: effect.resource.subject }, "policy dryrun: would deny");
        }
      }
    }
  };
}
