import type { KV } from "nats";
import type { Bus } from "./connection.js";
import { compareAndSet, jsonCodec, kvToken } from "./kv-cas.js";
import { buckets, maxBudgetWindowMs } from "./topology.js";

/**
 * Spend counters shared by every replica: one KV key per (budget key, fixed window) holding the dollars and tokens
 * reserved or spent in it, changed only by compare-and-set on the key's revision, so two replicas can never both
 * take the last of a budget. Keys expire with the bucket's TTL (twice the longest window the policy allows).
 */
export const budgetBucket = buckets.budgets;

export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

export interface BudgetStore {
  reserve(key: string, amount: Spend, limits: { readonly usd?: number | undefined; readonly tokens?: number | undefined }, windowMs: number): Promise<{ reserved: boolean; spent: Spend; windowStart: number }>;
  settle(key: string, windowMs: number, windowStart: number, delta: Spend): Promise<void>;
  /** What a window has spent so far (zero when nothing was reserved in it). */
  spent(key: string, windowMs: number, at?: number): Promise<Spend>;
}

export interface BudgetStoreOptions {
  readonly bucket?: string;
  readonly replicas?: number;
  readonly now?: () => number;
}

const codec = jsonCodec<Spend>();
/** Sums kept to the nano-dollar, so a reservation settled back leaves no float dust behind. */
const add = (a: Spend, b: Spend): Spend => ({ usd: Math.round((a.usd + b.usd) * 1e9) / 1e9, tokens: a.tokens + b.tokens });
const none: Spend = { usd: 0, tokens: 0 };

export async function openBudgetStore(bus: Bus, opts: BudgetStoreOptions = {}): Promise<BudgetStore> {
  const kv: KV = await bus.js.views.kv(opts.bucket ?? budgetBucket, { history: 1, ttl: maxBudgetWindowMs * 2, replicas: opts.replicas ?? 1 });
  const now = opts.now ?? Date.now;
  const windowOf = (windowMs: number, at = now()) => Math.floor(at / windowMs) * windowMs;
  const keyOf = (key: string, windowMs: number, windowStart: number) => `${kvToken(key)}.${windowMs}.${windowStart}`;
  return {
    async reserve(key, amount, limits, windowMs) {
      if (windowMs > maxBudgetWindowMs) throw new RangeError(`budget window ${windowMs} ms exceeds the longest the store keeps, ${maxBudgetWindowMs} ms`);
      const windowStart = windowOf(windowMs);
      const { written, current } = await compareAndSet<Spend>(
        kv,
        keyOf(key, windowMs, windowStart),
        (spent = none) => {
          const next = add(spent, amount);
          const over = (limits.usd !== undefined && next.usd > limits.usd) || (limits.tokens !== undefined && next.tokens > limits.tokens);
          return over ? undefined : next;
        },
        codec,
      );
      return { reserved: written, spent: current ?? none, windowStart };
    },
    async settle(key, windowMs, windowStart, delta) {
      await compareAndSet<Spend>(
        kv,
        keyOf(key, windowMs, windowStart),
        // Never below zero: a window that expired and came back empty owes nothing to a late refund.
        (spent = none) => {
          const next = add(spent, delta);
          return { usd: Math.max(0, next.usd), tokens: Math.max(0, next.tokens) };
        },
        codec,
      );
    },
    async spent(key, windowMs, at) {
      const entry = await kv.get(keyOf(key, windowMs, windowOf(windowMs, at)));
      return entry && entry.operation === "PUT" ? codec.decode(entry.value) : none;
    },
  };
}
