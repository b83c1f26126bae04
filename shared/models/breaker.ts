import { TransientError } from "../errors/index.js";

/**
 * A circuit breaker per endpoint. Closed: calls pass and their outcomes fill a rolling window; the breaker
 * opens when, over at least `minCalls`, the error share or the slow-call share reaches its limit. Open: calls
 * are refused at once with E_BREAKER_OPEN (transient, so the task is parked, not failed). After `openMs` the
 * breaker is half-open: one probe passes; success closes it, failure opens it again.
 */
export type BreakerState = "closed" | "half-open" | "open";

export interface BreakerOptions {
  readonly name: string;
  readonly windowSize: number;
  readonly minCalls: number;
  readonly errorRateToOpen: number;
  /** A call slower than this counts as slow, even when it succeeds. */
  readonly slowCallMs: number;
  readonly slowRateToOpen: number;
  readonly openMs: number;
  /** Which errors count against the endpoint; default all. A well-formed refusal is not an outage. */
  readonly isFailure?: (err: unknown) => boolean;
  readonly now?: () => number;
  readonly onStateChange?: (state: BreakerState, name: string) => void;
}

export const defaultBreakerOptions: Omit<BreakerOptions, "name"> = {
  windowSize: 20,
  minCalls: 5,
  errorRateToOpen: 0.5,
  slowCallMs: 4_000,
  slowRateToOpen: 0.8,
  openMs: 5_000,
};

export interface Breaker {
  readonly name: string;
  readonly state: BreakerState;
  /** Milliseconds until an open breaker lets a probe through (0 unless open). */
  readonly retryInMs: number;
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** State as a number for the mesh_breaker_state gauge: 0 closed, 1 half-open, 2 open. */
export const breakerStateValue: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** @example const breaker = createBreaker({ name: "openai-eu", openMs: 10_000 }) */
export function createBreaker(options: Partial<BreakerOptions> & { name: string }): Breaker {
  const o: BreakerOptions = { ...defaultBreakerOptions, ...options };
  const now = o.now ?? Date.now;
  let state: BreakerState = "closed";
  let openedAt = 0;
  let probing = false;
  let window: { failed: boolean; slow: boolean }[] = [];

  const move = (next: BreakerState) => {
    if (next === state) return;
    state = next;
    if (next === "open") openedAt = now();
    if (next !== "half-open") probing = false;
    if (next === "closed") window = [];
    o.onStateChange?.(next, o.name);
  };

  const record = (failed: boolean, ms: number, probe: boolean) => {
    const slow = ms > o.slowCallMs;
    if (probe) return move(failed || slow ? "open" : "closed");
    window.push({ failed, slow });
    if (window.length > o.windowSize) window.shift();
    if (window.length < o.minCalls) return;
    const errors = window.filter((c) => c.failed).length / window.length;
    const slowShare = window.filter((c) => c.slow).length / window.length;
    if (errors >= o.errorRateToOpen || slowShare >= o.slowRateToOpen) move("open");
  };

  return {
    name: o.name,
    get state() {
      if (state === "open" && now() - openedAt >= o.openMs) move("half-open");
      return state;
    },
    get retryInMs() {
      return state === "open" ? Math.max(0, o.openMs - (now() - openedAt)) : 0;
    },
    async run(fn) {
      const current = this.state;
      if (current === "open" || (current === "half-open" && probing))
        throw new TransientError("E_BREAKER_OPEN", `endpoint ${o.name}: circuit open, retry in ${Math.ceil(this.retryInMs / 1000)} s`, {
          endpoint: o.name,
          retryInMs: this.retryInMs,
        });
      const probe = current === "half-open";
      if (probe) probing = true;
      const started = now();
      try {
        const value = await fn();
        record(false, now() - started, probe);
        return value;
      } catch (err) {
        record(o.isFailure ? o.isFailure(err) : true, now() - started, probe);
        throw err;
      }
    },
  };
}
