import { randomUUID } from "node:crypto";
import type { KV, KvEntry } from "nats";
import { z } from "zod";
import type { Bus } from "./connection.js";
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));
}

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
    async reserve(key, limit, windowMs, inFlightMs) {
      if (windowMs > maxWindowMs) throw new RangeError(`rate limit window ${windowMs} ms exceeds the store's maxWindowMs ${maxWindowMs}`);
      const k = `${Buffer.from(key).toString("base64url")}.sliding.${windowMs}`;
      const id = randomUUID();
      // Latest time each effect may have reached its target; one no later than now − windowMs cannot share a window with a new one.
      const doneBy = ([, at, settled]: SlidingLog[number]) => settled ?? at + inFlightMs;
      const write = (entry: KvEntry | null, log: SlidingLog) =>
        entry ? kv.update(k, encoder.encode(JSON.stringify(log)), entry.revision) : kv.create(k, encoder.encode(JSON.stringify(log)));
      for (;;) {
        const at = now();
        const entry = await kv.get(k);
        const live = readLog(entry).filter((e) => doneBy(e) > at - windowMs);
        if (live.length >= limit) return { allowed: false, remaining: 0, resetAt: Math.min(...live.map(doneBy)) + windowMs, settle: async () => {} };
        try {
          await write(entry, [...live, [id, at, null]]);
        } catch (err) {
          if (!isConflict(err)) throw err;
          continue;
        }
        return {
          allowed: true,
          remaining: limit - live.length - 1,
          resetAt: at + windowMs,
          async settle(doneAt) {
            for (;;) {
              const current = await kv.get(k);
              const log = readLog(current);
              if (!current || !log.some((e) => e[0] === id)) return;
              const next = doneAt === null ? log.filter((e) => e[0] !== id) : log.map((e): SlidingLog[number] => (e[0] === id ? [id, e[1], Math.max(doneAt, e[1])] : e));
              try {
                await write(current, next);
                return;
              } catch (err) {
                if (!isConflict(err)) throw err;
              }
            }
          },
        };
      }
    },
  };
}

/** Only this store writes the log; one that does not parse (a foreign writer) is started afresh. */
function readLog(entry: KvEntry | null): SlidingLog {
  if (!entry || entry.operation !== "PUT") return [];
  try {
    const parsed = slidingLogSchema.safeParse(JSON.parse(decoder.decode(entry.value)));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}
