import type { Action, Decision, Principal, Resource, TaskFacts } from "../../../policy/index.js";
import type { Spend } from "../../../policy/budget/index.js";

/**
 * Facts the policy decides on. The runtime derives them from verified messages (the envelope whose digest it
 * checked, a review decision whose signature it checked, its own classifier's label); handler code and message
 * data never set them.
 */
export interface RuntimeFacts {
  readonly task?: TaskFacts;
  /** The acting process's region, for an effect about no task (a service polling a platform): residency applies to it. */
  readonly region?: string;
  /** True only on the resume path of a review decision the runtime verified. */
  readonly approved?: boolean;
  /** Distinct people whose approvals of that decision the runtime verified (four-eyes counts them). */
  readonly approvals?: number;
  /** Prompt-injection screening of the text a model call sends. */
  readonly screening?: { readonly score: number; readonly rules: readonly string[] };
  /** Whether the task's flow is drifting (shared/telemetry/drift-response.ts): the policy tightens its routing then. */
  readonly drift?: { readonly tightened: boolean };
}

/** One effect: what it is (for policy and audit) and how to do it (`run`). */
export interface Effect<T = unknown> {
  readonly action: Action;
  readonly principal: Principal;
  readonly resource: Resource;
  readonly facts: RuntimeFacts;
  /** Region whose audit subject records the effect: the task's, or the process's for effects about no task. */
  readonly region: string;
  readonly traceId?: string;
  /** Facts for the audit record that policy does not decide on (model version, reviewer id...); never content. */
  readonly auditDetail?: Readonly<Record<string, unknown>>;
  /** The effect itself: runs only after every interceptor before it let it through, with the decision that did. */
  run(decision: Decision): Promise<T>;
  /**
   * For an effect that costs money (a model call): the most it may cost, reserved against the policy's budgets
   * before it runs, and what it did cost, read from its result. Set by the runtime from the router's request.
   */
  readonly spend?: { readonly estimate: Spend; actual(result: T): Spend };
  /** What of the result the audit record keeps (a stream sequence, a duplicate flag). */
  describe?(result: T): Record<string, unknown>;
  /**
   * Set by the runtime for effects of a delivery: the record of an effect that was done is handed here instead of
   * awaited, and the delivery waits for all of them before its ack (so records of one task are stored together).
   */
  auditLater?(stored: Promise<void>): void;
}

/** What the interceptors learn on the way in (the decision, as obligations change it), for those on the way out. */
export interface EffectTrail {
  decision?: Decision;
}

export type Next = (effect: Effect, trail: EffectTrail) => Promise<unknown>;
export type Interceptor = (effect: Effect, trail: EffectTrail, next: Next) => Promise<unknown>;
export type Perform = <T>(effect: Effect<T>) => Promise<T>;

/**
 * Chains interceptors Temporal-style: each gets the effect and `next`. The effect runs at the end of the chain,
 * and only with a decision on the trail, so a chain assembled without the policy interceptor cannot act.
 * @example const perform = pipeline(tracing(), metrics(m), audit(writer), policyDecision(gate), obligations(limits));
 */
export function pipeline(...chain: readonly Interceptor[]): Perform {
  const call = async (i: number, effect: Effect, trail: EffectTrail): Promise<unknown> => {
    const interceptor = chain[i];
    if (interceptor) return interceptor(effect, trail, (e, t) => call(i + 1, e, t));
    if (trail.decision?.effect !== "allow") throw new Error(`effect ${effect.action} reached its run without an allowing policy decision`);
    return effect.run(trail.decision);
  };
  return function perform<T>(effect: Effect<T>): Promise<T> {
    return call(0, effect as Effect, {}) as Promise<T>;
  };
}
