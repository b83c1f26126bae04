import type { Decision, DecisionRequest } from "../../../policy/index.js";
import { refusalOf } from "./refusal.js";
import type { Interceptor } from "./pipeline.js";

/** Anything that decides with the policy revision in force (the runtime's PolicyGate). */
export interface Decider {
  decide(req: DecisionRequest): Decision;
}

/**
 * Asks the policy about the effect with the runtime's facts and puts the decision on the trail; a deny throws
 * here (after the interceptors outside it, audit among them, have seen the decision).
 * @example pipeline(audit(writer), policyDecision(gate))
 */
export function policyDecision(policy: Decider): Interceptor {
  return function policyDecisionInterceptor(effect, trail, next) {
    const decision = policy.decide({ action: effect.action, principal: effect.principal, resource: effect.resource, context: { ...effect.facts } });
    trail.decision = decision;
    if (decision.effect === "deny") throw refusalOf(decision);
    return next(effect, trail);
  };
}
