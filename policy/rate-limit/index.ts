import type { Decision } from "../types.js";

/** Anything that can take a token from a counter shared by all replicas (see shared/bus/rate-limit-store.ts). */
export interface TokenTaker {
  take(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; remaining: number; resetAt: number }>;
}

export const RATE_LIMITED = "rate-limited";

/**
 * Honours the decision's `rate_limit` obligations: takes one token per obligation and turns an allow
 * into a deny when any limit is spent. Every replica takes from the same store, so the limit holds for
 * the agent as a whole. A deny passes through untouched (it takes no tokens).
 * @example const d = await enforceRateLimits(policy.decide(req), store);
 */
export async function enforceRateLimits(decision: Decision, store: TokenTaker): Promise<Decision> {
  if (decision.effect !== "allow") return decision;
  for (const ob of decision.obligations) {
    if (ob.kind !== "rate_limit") continue;
    const taken = await store.take(ob.key, ob.limit, ob.windowMs);
    if (!taken.allowed) {
      const retryInMs = Math.max(0, taken.resetAt - Date.now());
      return {
        ...decision,
        effect: "deny",
        reasons: [RATE_LIMITED, ...decision.reasons],
        message: `rate limit "${ob.key}" (${ob.limit} per ${ob.windowMs / 1000} s, across all replicas) is spent; retry in ${Math.ceil(retryInMs / 1000)} s`,
      };
    }
  }
  return decision;
}
