import { inSpan } from "../../telemetry/index.js";
import type { Interceptor } from "./pipeline.js";

/**
 * Each effect is a span of the task's trace, so `mesh trace` and an OTLP backend show what was decided and
 * done at every hop; a publish inside it is the next hop's parent.
 * @example pipeline(tracing(), metrics(m, log, agent), audit(writer), policyDecision(gate))
 */
export function tracing(): Interceptor {
  return function tracingInterceptor(effect, trail, next) {
    const attributes: Record<string, string> = { "mesh.action": effect.action };
    if (effect.resource.subject) attributes["messaging.destination"] = effect.resource.subject;
    if (effect.facts.task) attributes["mesh.envelope"] = effect.facts.task.id;
    return inSpan(`effect ${effect.action}`, attributes, () => next(effect, trail));
  };
}
