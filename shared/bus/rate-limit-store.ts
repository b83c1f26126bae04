import type { KV } from "nats";
import type { Bus } from "./connection.js";
import { compareAndSet, kvToken, type KvCodec } from "./kv-cas.js";
import { buckets, maxRateLimitWindowMs } from "./topology.js";

/**
 * Rate-limit counters shared by every replica: one KV key per (limit key, fixed window), incremented
 * with compare-and-set on the key's revision, so two replicas can never both take the last token.
 * Keys expire with the bucket's TTL, which must be at least the longest window.
 * Windows follow the local clock: replicas whose clocks differ by d may overlap adjacent windows by d.
 */
export const rateLimitBucket = buckets.rateLimits;

export interface RateLimitTake {
  readonly allowed: boolean;
  /** Tokens left in this window after this take (0 when refused). */
  readonly remaining: number;
  /** Epoch ms when the current window ends. */
  readonly resetAt: number;
}

export interface RateLimitStore {
  take(key: string, limit: number, windowMs: number): Promise<RateLimitTake>;
}

export interface RateLimitStoreOptions {
  readonly bucket?: string;
  /** Longest window any limit uses; counters live twice as long. */
  readonly maxWindowMs?: number;
  readonly replicas?: number;
  readonly now?: () => number;
}

/** The count of one window, as decimal text (the format replicas of every version read). */
const countCodec: KvCodec<number> = {
  encode: (n) => new TextEncoder().encode(String(n)),
  decode: (b) => Number(new TextDecoder().decode(b)),
};

export async function openRateLimitStore(bus: Bus, opts: RateLimitStoreOptions = {}): Promise<RateLimitStore> {
  const maxWindowMs = opts.maxWindowMs ?? maxRateLimitWindowMs;
  const kv: KV = await bus.js.views.kv(opts.bucket ?? rateLimitBucket, { history: 1, ttl: maxWindowMs * 2, replicas: opts.replicas ?? 1 });
  const now = opts.now ?? Date.now;
  return {
    async take(key, limit, windowMs) {
      if (windowMs > maxWindowMs) throw new RangeError(`rate limit window ${windowMs} ms exceeds the store's maxWindowMs ${maxWindowMs}`);
      const windowStart = Math.floor(now() / windowMs) * windowMs;
      const resetAt = windowStart + windowMs;
      const k = `${kvToken(key)}.${windowMs}.${windowStart}`;
      let remaining = 0;
      const { written } = await compareAndSet<number>(
        kv,
        k,
        (used = 0) => {
          if (used >= limit) return undefined;
          remaining = limit - used - 1;
          return used + 1;
        },
        countCodec,
      );
      return written ? { allowed: true, remaining, resetAt } : { allowed: false, remaining: 0, resetAt };
    },
  };
}
