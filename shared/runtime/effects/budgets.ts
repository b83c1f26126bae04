import { reserveBudgets, settleBudgets, type BudgetCounter, type Spend } from "../../../policy/budget/index.js";
import type { Logger } from "../../telemetry/index.js";
import { refusalOf } from "./refusal.js";
import type { Interceptor } from "./pipeline.js";

/**
 * Holds a metered effect to the decision's `budget` obligations: its worst-case spend is reserved on counters
 * every replica shares before it runs, and settled to what it cost after. A budget that cannot take it refuses
 * the effect (an audited deny naming the budget); one held by calls in flight, or counters that cannot be reached,
 * park it (transient), so no call runs unmetered. A call that failed is booked at its worst case (the endpoint may
 * have billed it), except one that never reached a model: stopped by the breaker before it left, or refused by the
 * endpoint with an HTTP error status (OpenAI-compatible APIs bill completions, not refusals) — otherwise an outage
 * of the endpoint, retried for its whole length, would spend the day's budget on calls that never ran and send
 * every task after it to a human. A settle that fails leaves the hold to expire
 * into spend: over-counted, never under.
 * @example pipeline(audit(writer), policyDecision(gate), obligations(limits), budgets(budgetStore, log))
 */
export function budgets(counter: BudgetCounter, log: Pick<Logger, "warn">): Interceptor {
  return async function budgetsInterceptor(effect, trail, next) {
    const spend = effect.spend;
    if (!spend || !trail.decision!.obligations.some((o) => o.kind === "budget")) return next(effect, trail);
    const { decision, holds } = await reserveBudgets(trail.decision!, spend.estimate, counter);
    trail.decision = decision;
    if (decision.effect === "deny") throw refusalOf(decision);
    let result: unknown;
    try {
      result = await next(effect, trail);
    } catch (err) {
      await settle(reachedNoModel(err) ? { usd: 0, tokens: 0 } : spend.estimate);
      throw err;
    }
    await settle(spend.actual(result));
    return result;

    async function settle(actual: Spend) {
      await settleBudgets(holds, actual, counter).catch((err: Error) =>
        log.warn({ err, budgets: holds.map((h) => h.key) }, "could not settle a model call's budgets; its reservation stands (over-counted)"),
      );
    }
  };
}

/** A failure that certainly cost nothing; anything else (a timeout, a dropped connection) may have been billed. */
function reachedNoModel(err: unknown): boolean {
  const e = err as { code?: unknown; details?: { status?: unknown } };
  return e?.code === "E_BREAKER_OPEN" || typeof e?.details?.status === "number";
}
