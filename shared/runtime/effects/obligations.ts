import { enforceRateLimits, type TokenTaker } from "../../../policy/rate-limit/index.js";
import { refusalOf } from "./refusal.js";
import type { Interceptor } from "./pipeline.js";

/**
 * Honours what an allowing decision obliges before the effect runs: a `require_approval` holds only with a
 * verified human approval among the facts, and `rate_limit` takes its tokens from counters shared by every
 * replica. `redact` travels with the decision to the effect, which applies it to the text it sends.
 * A sliding limit counts the effect when it is done: its token is settled with the time the effect returned,
 * or threw (it may still have reached its target, so a failure counts too).
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
    if (!decision.obligations.some((o) => o.kind === "rate_limit")) return next(effect, trail);
    const limited = await enforceRateLimits(decision, rateLimits);
    trail.decision = decision = limited.decision;
    if (decision.effect === "deny") throw refusalOf(decision);
    // A settle that fails leaves the token counted as in flight for its inFlightMs: the safe side, so it is not an error.
    const settled = () => limited.settle(Date.now()).catch(() => {});
    try {
      const result = await next(effect, trail);
      await settled();
      return result;
    } catch (err) {
      await settled();
      throw err;
    }
  };
}
