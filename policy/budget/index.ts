import type { Decision, Obligation } from "../types.js";

/** What a model call costs: US dollars and tokens (input + output). */
export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

export type BudgetObligation = Extract<Obligation, { kind: "budget" }>;

export interface BudgetReservation {
  readonly reserved: boolean;
  /** The window's spend after the reservation, or as it stands when refused. */
  readonly spent: Spend;
  readonly windowStart: number;
}

/** Spend counters shared by every replica (see shared/bus/budget-store.ts). */
export interface BudgetCounter {
  /** Adds `amount` to the window's spend unless the sum would pass a limit. */
  reserve(key: string, amount: Spend, limits: { readonly usd?: number; readonly tokens?: number }, windowMs: number): Promise<BudgetReservation>;
  /** Adds `delta` (negative when the call cost less than reserved) to the window a reservation was made in. */
  settle(key: string, windowMs: number, windowStart: number, delta: Spend): Promise<void>;
}

export const BUDGET_EXHAUSTED = "budget-exhausted";
/** The counters could not be reached: the call waits rather than run unmetered. */
export const BUDGET_UNMETERED = "budget-unmetered";

/** One budget's hold on a call, to settle when its cost is known. */
export interface Hold {
  readonly key: string;
  readonly windowMs: number;
  readonly windowStart: number;
  readonly amount: Spend;
}

const usd = (n: number) => `$${n.toFixed(4)}`;

function describeLimits(b: BudgetObligation): string {
  const parts = [b.limitUsd !== undefined ? usd(b.limitUsd) : "", b.limitTokens !== undefined ? `${b.limitTokens} tokens` : ""].filter(Boolean);
  return `${parts.join(" and ")} per ${b.windowMs / 1000} s, across all replicas`;
}

/**
 * Honours the decision's `budget` obligations for a call that may cost up to `estimate`: reserves it on every
 * budget, all or none. A budget that cannot take it turns the allow into a deny naming the budget; a counter
 * store that cannot be reached denies too (BUDGET_UNMETERED: the runtime parks the call), since a call that ran
 * unmetered could pass the budget. A deny passes through untouched.
 * @example const { decision, holds } = await reserveBudgets(policy.decide(req), { usd: 0.002, tokens: 1200 }, store);
 */
export async function reserveBudgets(decision: Decision, estimate: Spend, counter: BudgetCounter): Promise<{ decision: Decision; holds: Hold[] }> {
  const holds: Hold[] = [];
  if (decision.effect !== "allow") return { decision, holds };
  const refuse = async (reason: string, message: string) => {
    // Give back what the budgets before this one reserved; if that fails too they over-count, which is safe.
    await settleBudgets(holds, { usd: 0, tokens: 0 }, counter).catch(() => undefined);
    return { decision: { ...decision, effect: "deny" as const, reasons: [reason, ...decision.reasons], message }, holds: [] };
  };
  for (const ob of decision.obligations) {
    if (ob.kind !== "budget") continue;
    let r: BudgetReservation;
    try {
      r = await counter.reserve(ob.key, estimate, { usd: ob.limitUsd, tokens: ob.limitTokens }, ob.windowMs);
    } catch (err) {
      return refuse(BUDGET_UNMETERED, `budget "${ob.key}" cannot be metered, its counter store is unreachable (${(err as Error).message}); the call waits instead of running unmetered`);
    }
    if (!r.reserved)
      return refuse(
        BUDGET_EXHAUSTED,
        `budget "${ob.key}" (${describeLimits(ob)}) cannot take this call: ${usd(r.spent.usd)} and ${r.spent.tokens} tokens used, the call may cost up to ${usd(estimate.usd)} and ${estimate.tokens} tokens`,
      );
    holds.push({ key: ob.key, windowMs: ob.windowMs, windowStart: r.windowStart, amount: estimate });
  }
  return { decision, holds };
}

/** Books what the call really cost against each hold (the reservation becomes the actual spend). */
export async function settleBudgets(holds: readonly Hold[], actual: Spend, counter: BudgetCounter): Promise<void> {
  for (const h of holds) {
    const delta = { usd: actual.usd - h.amount.usd, tokens: actual.tokens - h.amount.tokens };
    if (delta.usd !== 0 || delta.tokens !== 0) await counter.settle(h.key, h.windowMs, h.windowStart, delta);
  }
}
