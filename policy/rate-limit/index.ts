import type { Decision } from "../types.js";

/** Anything that can take a token from a counter shared by all replicas (see shared/bus/rate-limit-store.ts). */
export interface TokenTaker {
  take(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; remaining: number; resetAt: number }>;
  reserve(key: string, limit: number, windowMs: number, inFlightMs: number): Promise<{ allowed: boolean; remaining: number; resetAt: number; settle(doneAt: number | null): Promise<void> }>;
}

export const RATE_LIMITED = "rate-limited";

/** How long a sliding limit counts an effect whose end was never recorded: the longest a tool call may take. */
export const defaultInFlightMs = 30_000;

export interface RateLimited {
  readonly decision: Decision;
  /**
   * Tells the sliding limits when the effect was done (`doneAt`, no earlier than it reached its target) or that it
   * never happened (null). Fixed windows need no word.
   */
  settle(doneAt: number | null): Promise<void>;
}

/**
 * Honours the decision's `rate_limit` obligations: takes one token per obligation and turns an allow
 * into a deny when any limit is spent. Every replica takes from the same store, so the limit holds for
 * the agent as a whole. A deny passes through untouched (it takes no tokens). Tokens of sliding limits
 * are reservations, settled by the caller once the effect's end is known (given back if a later limit refuses).
 * @example const { decision, settle } = await enforceRateLimits(policy.decide(req), store);
 */
export async function enforceRateLimits(decision: Decision, store: TokenTaker): Promise<RateLimited> {
  const held: ((doneAt: number | null) => Promise<void>)[] = [];
  const settle = async (doneAt: number | null) => {
    await Promise.all(held.map((s) => s(doneAt)));
  };
  if (decision.effect !== "allow") return { decision, settle };
  for (const ob of decision.obligations) {
    if (ob.kind !== "rate_limit") continue;
    let taken;
    if (ob.window === "sliding") {
      const reserved = await store.reserve(ob.key, ob.limit, ob.windowMs, ob.inFlightMs ?? defaultInFlightMs);
      if (reserved.allowed) held.push(reserved.settle);
      taken = reserved;
    } else taken = await store.take(ob.key, ob.limit, ob.windowMs);
    if (!taken.allowed) {
      await settle(null);
      const retryInMs = Math.max(0, taken.resetAt - Date.now());
      const refused: Decision = {
        ...decision,
        effect: "deny",
        reasons: [RATE_LIMITED, ...decision.reasons],
        message: `rate limit "${ob.key}" (${ob.limit} per ${ob.windowMs / 1000} s${ob.window === "sliding" ? " in any window" : ""}, across all replicas) is spent; retry in ${Math.ceil(retryInMs / 1000)} s`,
      };
      return { decision: refused, settle: async () => {} };
    }
  }
  return { decision, settle };
}
