import { randomUUID } from "node:crypto";
import type { KV } from "nats";
import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";
import { compareAndSet, jsonCodec, kvToken } from "./kv-cas.js";
import { buckets, maxBudgetWindowMs } from "./topology.js";

/**
 * Spend counters shared by every replica: one KV key per (budget key, fixed window) holding what was spent in it
 * and what the calls in flight hold, changed only by compare-and-set on the key's revision, so two replicas can
 * never both take the last of a budget. A hold older than `holdTtlMs` (its replica died mid-call) is counted as
 * spent at its full amount: over-counted, never under. Keys expire with the bucket's TTL (twice the longest
 * window the policy allows).
 */
export const budgetBucket = buckets.budgets;

export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

interface Window {
  readonly usd: number;
  readonly tokens: number;
  readonly holds: Readonly<Record<string, Spend & { readonly at: number }>>;
}

export interface BudgetStore {
  reserve(
    key: string,
    amount: Spend,
    limits: { readonly usd?: number | undefined; readonly tokens?: number | undefined },
    windowMs: number,
  ): Promise<{ outcome: "reserved" | "busy" | "exhausted"; spent: Spend; held: Spend; windowStart: number; holdId: string }>;
  settle(key: string, windowMs: number, windowStart: number, hold: { readonly id: string; readonly amount: Spend }, actual: Spend): Promise<void>;
  /** What a window has spent so far and what calls in flight hold in it (zero when nothing was reserved). */
  spent(key: string, windowMs: number, at?: number): Promise<Spend & { held: Spend }>;
}

export interface BudgetStoreOptions {
  readonly bucket?: string;
  readonly replicas?: number;
  /** Longer than any model call takes, breaker and batching included. */
  readonly holdTtlMs?: number;
  readonly now?: () => number;
}

const codec = jsonCodec<Window>();
const none: Spend = { usd: 0, tokens: 0 };
const empty: Window = { ...none, holds: {} };
/** Sums kept to the nano-dollar, so a hold settled back leaves no float dust behind. */
const add = (a: Spend, b: Spend): Spend => ({ usd: Math.round((a.usd + b.usd) * 1e9) / 1e9, tokens: a.tokens + b.tokens });
const sub = (a: Spend, b: Spend): Spend => add(a, { usd: -b.usd, tokens: -b.tokens });
const floor0 = (s: Spend): Spend => ({ usd: Math.max(0, s.usd), tokens: Math.max(0, s.tokens) });

export async function openBudgetStore(bus: Bus, opts: BudgetStoreOptions = {}): Promise<BudgetStore> {
  const kv: KV = await rawBus(bus).js.views.kv(opts.bucket ?? budgetBucket, { history: 1, ttl: maxBudgetWindowMs * 2, replicas: opts.replicas ?? 1 });
  const now = opts.now ?? Date.now;
  const holdTtlMs = opts.holdTtlMs ?? 120_000;
  const windowOf = (windowMs: number, at = now()) => Math.floor(at / windowMs) * windowMs;
  const keyOf = (key: string, windowMs: number, windowStart: number) => `${kvToken(key)}.${windowMs}.${windowStart}`;
  /** Stale holds become spend; what is left is held by calls in flight. */
  const current = (w: Window) => {
    let spent: Spend = { usd: w.usd, tokens: w.tokens };
    let held: Spend = none;
    const holds: Record<string, Spend & { at: number }> = {};
    for (const [id, h] of Object.entries(w.holds)) {
      if (now() - h.at > holdTtlMs) spent = add(spent, h);
      else {
        held = add(held, h);
        holds[id] = h;
      }
    }
    return { spent, held, holds };
  };
  return {
    async reserve(key, amount, limits, windowMs) {
      if (windowMs > maxBudgetWindowMs) throw new RangeError(`budget window ${windowMs} ms exceeds the longest the store keeps, ${maxBudgetWindowMs} ms`);
      const windowStart = windowOf(windowMs);
      const holdId = randomUUID();
      const over = (s: Spend) => (limits.usd !== undefined && s.usd > limits.usd) || (limits.tokens !== undefined && s.tokens > limits.tokens);
      let outcome: "reserved" | "busy" | "exhausted" = "reserved";
      let seen = current(empty);
      await compareAndSet<Window>(
        kv,
        keyOf(key, windowMs, windowStart),
        (w = empty) => {
          seen = current(w);
          outcome = over(add(seen.spent, amount)) ? "exhausted" : over(add(add(seen.spent, seen.held), amount)) ? "busy" : "reserved";
          if (outcome !== "reserved") return undefined;
          return { ...seen.spent, holds: { ...seen.holds, [holdId]: { ...amount, at: now() } } };
        },
        codec,
      );
      return { outcome, spent: seen.spent, held: seen.held, windowStart, holdId };
    },
    async settle(key, windowMs, windowStart, hold, actual) {
      await compareAndSet<Window>(
        kv,
        keyOf(key, windowMs, windowStart),
        (w = empty) => {
          const { spent, holds } = current(w);
          // A hold already counted as stale was booked at its full amount: correct it to what the call cost.
          const booked = hold.id in holds ? add(spent, actual) : add(spent, sub(actual, hold.amount));
          const { [hold.id]: _settled, ...rest } = holds;
          return { ...floor0(booked), holds: rest };
        },
        codec,
      );
    },
    async spent(key, windowMs, at) {
      const entry = await kv.get(keyOf(key, windowMs, windowOf(windowMs, at)));
      const { spent, held } = current(entry && entry.operation === "PUT" ? codec.decode(entry.value) : empty);
      return { ...spent, held };
    },
  };
}
