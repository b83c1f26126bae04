import type { Decision, Obligation } from "../types.js";

/** What a model call costs: US dollars and tokens (input + output). */
export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

export type BudgetObligation = Extract<Obligation, { kind: "budget" }>;

export interface BudgetReservation {
  /** `busy`: the call would fit what was spent, but not with what calls in flight hold; `exhausted`: it would not fit. */
  readonly outcome: "reserved" | "busy" | "exhausted";
  /** What the window has spent (settled calls and stale holds), and what calls in flight hold in it. */
  readonly spent: Spend;
  readonly held: Spend;
  readonly windowStart: number;
  /** Names the hold to settle (reserved only). */
  readonly holdId: string;
}

/** Spend counters shared by every replica (see shared/bus/budget-store.ts). */
export interface BudgetCounter {
  /** Holds `amount` in the window unless what was spent and what is held would pass a limit with it. */
  reserve(key: string, amount: Spend, limits: { readonly usd?: number; readonly tokens?: number }, windowMs: number): Promise<BudgetReservation>;
  /** Replaces a hold with what the call cost. */
  settle(key: string, windowMs: number, windowStart: number, hold: { readonly id: string; readonly amount: Spend }, actual: Spend): Promise<void>;
}

export const BUDGET_EXHAUSTED = "budget-exhausted";
/** The budget is held by calls in flight: the call waits for them to settle rather than being refused. */
export const BUDGET_BUSY = "budget-busy";
/** The counters could not be reached: the call waits rather than run unmetered. */
export const BUDGET_UNMETERED = "budget-unmetered";

/** One budget's hold on a call, to settle when its cost is known. */
export interface Hold {
  readonly key: string;
  readonly windowMs: number;
  readonly windowStart: number;
  readonly id: string;
  readonly amount: Spend;
}

const usd = (n: number) => `$${n.toFixed(4)}`;

function describeLimits(b: BudgetObligation): string {
  const parts = [b.limitUsd !== undefined ? usd(b.limitUsd) : "", b.limitTokens !== undefined ? `${b.limitTokens} tokens` : ""].filter(Boolean);
  return `${parts.join(" and ")} per ${b.windowMs / 1000} s, across all replicas`;
}

/**
 * Honours the decision's `budget` obligations for a call that may cost up to `estimate`: holds it on every budget,
 * all or none. A budget the call cannot fit turns the allow into a deny naming the budget (BUDGET_EXHAUSTED); one
 * it would fit once the calls in flight settle denies as BUDGET_BUSY, and a counter store that cannot be reached
 * as BUDGET_UNMETERED: the runtime parks the call for both, since a call that ran unmetered could pass the budget.
 * A deny passes through untouched.
 * @example const { decision, holds } = await reserveBudgets(policy.decide(req), { usd: 0.002, tokens: 1200 }, store);
 */
export async function reserveBudgets(decision: Decision, estimate: Spend, counter: BudgetCounter): Promise<{ decision: Decision; holds: Hold[] }> {
  const holds: Hold[] = [];
  if (decision.effect !== "allow") return { decision, holds };
  const refuse = async (reason: string, message: string) => {
    // Give back what the budgets before this one held; if that fails too they over-count, which is safe.
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
    const figures = `${usd(r.spent.usd)} and ${r.spent.tokens} tokens spent, ${usd(r.held.usd)} held by calls in flight, the call may cost up to ${usd(estimate.usd)} and ${estimate.tokens} tokens`;
    if (r.outcome === "exhausted") return refuse(BUDGET_EXHAUSTED, `budget "${ob.key}" (${describeLimits(ob)}) cannot take this call: ${figures}`);
    if (r.outcome === "busy") return refuse(BUDGET_BUSY, `budget "${ob.key}" (${describeLimits(ob)}) is held by calls in flight: ${figures}; the call waits for them to settle`);
    holds.push({ key: ob.key, windowMs: ob.windowMs, windowStart: r.windowStart, id: r.holdId, amount: estimate });
  }
  return { decision, holds };
}

/** Books what the call really cost against each hold (the hold becomes the actual spend). */
export async function settleBudgets(holds: readonly Hold[], actual: Spend, counter: BudgetCounter): Promise<void> {
  for (const h of holds) await counter.settle(h.key, h.windowMs, h.windowStart, h, actual);
}
