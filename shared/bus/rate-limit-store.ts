import type { KV } from "nats";
import type { Bus } from "./connection.js";
import { buckets, maxRateLimitWindowMs } from "./topology.js";
import { rawBus } from "./raw-bus.js";

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));
}

export async function openRateLimitStore(bus: Bus, opts: RateLimitStoreOptions = {}): Promise<RateLimitStore> {
  const maxWindowMs = opts.maxWindowMs ?? maxRateLimitWindowMs;
  const kv: KV = await rawBus(bus).js.views.kv(opts.bucket ?? rateLimitBucket, { history: 1, ttl: maxWindowMs * 2, replicas: opts.replicas ?? 1 });
  const now = opts.now ?? Date.now;
  return {
    async take(key, limit, windowMs) {
      if (windowMs > maxWindowMs) throw new RangeError(`rate limit window ${windowMs} ms exceeds the store's maxWindowMs ${maxWindowMs}`);
      const windowStart = Math.floor(now() / windowMs) * windowMs;
      const resetAt = windowStart + windowMs;
      // KV keys are subject tokens: encode the caller's key so ":" or spaces cannot break it.
      const k = `${Buffer.from(key).toString("base64url")}.${windowMs}.${windowStart}`;
      for (;;) {
        const entry = await kv.get(k);
        const used = entry && entry.operation === "PUT" ? Number(decoder.decode(entry.value)) : 0;
        if (used >= limit) return { allowed: false, remaining: 0, resetAt };
        try {
          if (entry) await kv.update(k, encoder.encode(String(used + 1)), entry.revision);
          else await kv.create(k, encoder.encode("1"));
          return { allowed: true, remaining: limit - used - 1, resetAt };
        } catch (err) {
          // Another replica took a token between our read and write: read again.
          if (!isConflict(err)) throw err;
        }
      }
    },
  };
}
