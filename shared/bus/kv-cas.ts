import type { KV } from "nats";

/**
 * Read-modify-write of one KV key by compare-and-set on its revision: two replicas changing the same key can
 * never both win, the loser reads again and re-decides. `change` sees the current value (undefined: no key) and
 * answers the next one, or undefined to leave the key alone (a refusal); the result says which happened.
 * Errors other than a lost race (the store unreachable, the bucket gone) are thrown to the caller.
 * @example await compareAndSet(kv, "a.b", (n: number | undefined) => ((n ?? 0) < 10 ? (n ?? 0) + 1 : undefined), numberCodec)
 */
export async function compareAndSet<T>(
  kv: KV,
  key: string,
  change: (current: T | undefined) => T | undefined,
  codec: KvCodec<T>,
): Promise<{ readonly written: boolean; readonly current: T | undefined }> {
  for (;;) {
    const entry = await kv.get(key);
    const current = entry && entry.operation === "PUT" ? codec.decode(entry.value) : undefined;
    const next = change(current);
    if (next === undefined) return { written: false, current };
    try {
      if (entry) await kv.update(key, codec.encode(next), entry.revision);
      else await kv.create(key, codec.encode(next));
      return { written: true, current: next };
    } catch (err) {
      // Another replica wrote between our read and our write: read again.
      if (!isConflict(err)) throw err;
    }
  }
}

export interface KvCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function jsonCodec<T>(): KvCodec<T> {
  return { encode: (v) => encoder.encode(JSON.stringify(v)), decode: (b) => JSON.parse(decoder.decode(b)) as T };
}

export function isConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));
}

/** KV keys are subject tokens: a caller's key is encoded so ":" or spaces cannot break it. */
export const kvToken = (key: string): string => Buffer.from(key).toString("base64url");
