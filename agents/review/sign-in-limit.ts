import { createHash } from "node:crypto";

export interface SignInLimiter {
  /** Milliseconds until a sign-in with these keys may be tried again, or 0 when it may be tried now. */
  retryAfterMs(keys: readonly string[]): number;
  /** Records a failed sign-in against every key. */
  failed(keys: readonly string[]): void;
}

/** Keys a sign-in is counted under: the client's address and the token tried (hashed: the limiter holds no secret). */
export function signInKeys(address: string, token: string): string[] {
  return [`addr:${address}`, `token:${createHash("sha256").update(token).digest("hex")}`];
}

/**
 * Failed sign-ins per key in a sliding window: after `maxFailures` within `windowMs`, every sign-in under that key
 * is refused until the oldest failure leaves the window — a right token included, so guessing learns nothing while
 * blocked. Counted per process (replicas each allow their own budget); at most `maxKeys` keys are kept, the
 * stalest dropped first, so a flood of addresses cannot grow memory without bound.
 * @example const limiter = signInLimiter({ maxFailures: 5, windowMs: 60_000 })
 */
export function signInLimiter(opts: { maxFailures: number; windowMs: number; maxKeys?: number; now?: () => number }): SignInLimiter {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 10_000;
  const failures = new Map<string, number[]>();
  const recent = (key: string, t: number) => {
    const kept = (failures.get(key) ?? []).filter((at) => at > t - opts.windowMs);
    if (kept.length) failures.set(key, kept);
    else failures.delete(key);
    return kept;
  };
  return {
    retryAfterMs(keys) {
      const t = now();
      let wait = 0;
      for (const key of keys) {
        const kept = recent(key, t);
        if (kept.length >= opts.maxFailures) wait = Math.max(wait, kept[kept.length - opts.maxFailures]! + opts.windowMs - t);
      }
      return wait;
    },
    failed(keys) {
      const t = now();
      for (const key of keys) {
        const kept = recent(key, t);
        failures.delete(key);
        failures.set(key, [...kept, t]);
      }
      while (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
    },
  };
}
