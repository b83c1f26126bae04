import { enforceRateLimits, type TokenTaker } from "../../../policy/rate-limit/index.js";
import { refusalOf } from "./refusal.js";
import type { Interceptor } from "./pipeline.js";

/**
 * Honours what an allowing decision obliges before the effect runs: a `require_approval` holds only with a
 * verified human approval among the facts, and `rate_limit` takes its tokens from counters shared by every
 * replica. `redact` travels with the decision to the effect, which applies it to the text it sends.
 * @example pipeline(audit(writer), policyDecision(gate), obligations(rateLimitStore))
 */
export function obligations(rateLimits: TokenTaker): Interceptor {
  return async function obligationsInterceptor(effect, trail, next) {
    let decision = trail.decision!;
    const approval = decision.obligations.find((o) => o.kind === "require_approval");
    if (approval && effect.facts.approved !== true) {
      trail.decision = decision = { ...decision, effect: "deny", message: `${approval.reason}: no verified human approval` };
      throw refusalOf(decision);
    }
    if (decision.obligations.some((o) => o.kind === "rate_limit")) {
      trail.decision = decision = await enforceRateLimits(decision, rateLimits);
      if (decision.effect === "deny") throw refusalOf(decision);
    }
    return next(effect, trail);
  };
}
