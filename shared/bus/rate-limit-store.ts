import { randomUUID } from "node:crypto";
import type { KV } from "nats";
import { z } from "zod";
import type { Bus } from "./connection.js";
import { compareAndSet, kvToken, type KvCodec } from "./kv-cas.js";
import { buckets, maxRateLimitWindowMs } from "./topology.js";
import { rawBus } from "./raw-bus.js";

/**
 * Rate-limit counters shared by every replica, written with compare-and-set on the key's revision, so two
 * replicas can never both take the last token. Keys expire with the bucket's TTL (at least the longest window).
 * - `take`: one KV key per (limit key, fixed window), a counter. Cheap, but a fixed window lets 2× the limit
 *   through across a window edge, more when effects land a while after their token was taken.
 * - `reserve`: a sliding log, one KV key per limit key: the effects of the last window, each with the time its
 *   token was taken and, once `settle`d, the time it was known done. At most `limit` fall in any window of the
 *   target's own clock, however long each took to get there (see `reserve`).
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

/** A token of a sliding limit, held until the caller says when its effect was done. */
export interface RateLimitReservation extends RateLimitTake {
  /**
   * `doneAt`: a time no earlier than the effect reached its target (when its answer came back); null: it never
   * happened, so the token is free again. An unsettled token counts as in flight for `inFlightMs`.
   */
  settle(doneAt: number | null): Promise<void>;
}

export interface RateLimitStore {
  take(key: string, limit: number, windowMs: number): Promise<RateLimitTake>;
  /**
   * Takes a token of "at most `limit` effects in any `windowMs`", counted when each effect reaches its target.
   * An effect reaches it between its reservation and its settled time, so a new token is given only while fewer
   * than `limit` earlier effects could still fall in a window with it: those whose settled time (or, unsettled,
   * reservation + `inFlightMs`) is later than now − windowMs. Any earlier one landed at least a window before.
   */
  reserve(key: string, limit: number, windowMs: number, inFlightMs: number): Promise<RateLimitReservation>;
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

/** One effect of a sliding log: [id, reserved at, settled at | null]. */
const slidingLogSchema = z.array(z.tuple([z.string(), z.number(), z.number().nullable()]));
type SlidingLog = z.infer<typeof slidingLogSchema>;

export async function openRateLimitStore(bus: Bus, opts: RateLimitStoreOptions = {}): Promise<RateLimitStore> {
  const maxWindowMs = opts.maxWindowMs ?? maxRateLimitWindowMs;
  const kv: KV = await rawBus(bus).js.views.kv(opts.bucket ?? rateLimitBucket, { history: 1, ttl: maxWindowMs * 2, replicas: opts.replicas ?? 1 });
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
    async reserve(key, limit, windowMs, inFlightMs) {
      if (windowMs > maxWindowMs) throw new RangeError(`rate limit window ${windowMs} ms exceeds the store's maxWindowMs ${maxWindowMs}`);
      const k = `${kvToken(key)}.sliding.${windowMs}`;
      const id = randomUUID();
      // Latest time each effect may have reached its target; one no later than now − windowMs cannot share a window with a new one.
      const doneBy = ([, at, settled]: SlidingLog[number]) => settled ?? at + inFlightMs;
      let at = 0;
      let live: SlidingLog = [];
      const { written } = await compareAndSet<SlidingLog>(
        kv,
        k,
        (log = []) => {
          at = now();
          live = log.filter((e) => doneBy(e) > at - windowMs);
          return live.length >= limit ? undefined : [...live, [id, at, null]];
        },
        slidingLogCodec,
      );
      if (!written) return { allowed: false, remaining: 0, resetAt: Math.min(...live.map(doneBy)) + windowMs, settle: async () => {} };
      return {
        allowed: true,
        remaining: limit - live.length - 1,
        resetAt: at + windowMs,
        async settle(doneAt) {
          await compareAndSet<SlidingLog>(
            kv,
            k,
            (log = []) => {
              if (!log.some((e) => e[0] === id)) return undefined;
              return doneAt === null ? log.filter((e) => e[0] !== id) : log.map((e): SlidingLog[number] => (e[0] === id ? [id, e[1], Math.max(doneAt, e[1])] : e));
            },
            slidingLogCodec,
          );
        },
      };
    },
  };
}

/** Only this store writes the log; one that does not parse (a foreign writer) is started afresh. */
const slidingLogCodec: KvCodec<SlidingLog> = {
  encode: (log) => new TextEncoder().encode(JSON.stringify(log)),
  decode: (bytes) => {
    try {
      const parsed = slidingLogSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  },
};
