import type { KV } from "nats";
import { ConflictError } from "../errors/index.js";
import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";
import { isConflict } from "./kv-cas.js";

export interface StateEntry<T = unknown> {
  readonly key: string;
  readonly value: T;
  readonly revision: number;
}

/**
 * Durable per-agent state in a JetStream KV bucket: survives restarts and is shared by replicas. Writes that
 * must not race use `create`/`update` (compare-and-set on the revision) and get a ConflictError when they lose.
 * Keys: letters, digits and `-_=.`; dots build hierarchy, and `keys("item.")` lists one level of it.
 */
export interface StateStore {
  get<T = unknown>(key: string): Promise<StateEntry<T> | undefined>;
  put(key: string, value: unknown): Promise<number>;
  create(key: string, value: unknown): Promise<number>;
  update(key: string, value: unknown, expectedRevision: number): Promise<number>;
  delete(key: string): Promise<void>;
  keys(prefix?: string): Promise<string[]>;
  values<T = unknown>(prefix?: string): Promise<StateEntry<T>[]>;
  /**
   * Every entry under `prefix` as it stands, then each change as it happens (`value` undefined: deleted), in
   * revision order; resolves once the entries that stood when it was called have been delivered.
   */
  watch<T = unknown>(prefix: string, onChange: (change: StateChange<T>) => void): Promise<{ stop(): void }>;
}

export interface StateChange<T = unknown> {
  readonly key: string;
  readonly value: T | undefined;
  readonly revision: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const validKey = /^[-_=.a-zA-Z0-9]+$/;

function checkKey(key: string): string {
  if (!validKey.test(key) || key.startsWith(".") || key.endsWith(".")) {
    throw new Error(`state key "${key}": use letters, digits and - _ = . (dots between parts)`);
  }
  return key;
}


/** `ttlMs` bounds every entry's life (the bucket's max age); it applies when the bucket is created, by the operator. */
export async function openStateStore(bus: Bus, bucket: string, opts: { replicas?: number; history?: number; ttlMs?: number } = {}): Promise<StateStore> {
  const kv: KV = await rawBus(bus).js.views.kv(bucket, { history: opts.history ?? 5, replicas: opts.replicas ?? 1, ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}) });
  const get = async <T>(key: string): Promise<StateEntry<T> | undefined> => {
    const e = await kv.get(checkKey(key));
    if (!e || e.operation !== "PUT") return undefined;
    return { key, value: JSON.parse(decoder.decode(e.value)) as T, revision: e.revision };
  };
  const keys = async (prefix?: string): Promise<string[]> => {
    const out: string[] = [];
    const iter = await kv.keys(prefix ? `${checkKey(prefix.replace(/\.$/, ""))}.>` : undefined);
    for await (const k of iter) out.push(k);
    return out.sort();
  };
  return {
    get,
    keys,
    put: (key, value) => kv.put(checkKey(key), encoder.encode(JSON.stringify(value))),
    async create(key, value) {
      try {
        return await kv.create(checkKey(key), encoder.encode(JSON.stringify(value)));
      } catch (err) {
        if (isConflict(err)) throw new ConflictError(`state key ${key} already exists`);
        throw err;
      }
    },
    async update(key, value, expectedRevision) {
      try {
        return await kv.update(checkKey(key), encoder.encode(JSON.stringify(value)), expectedRevision);
      } catch (err) {
        if (isConflict(err)) throw new ConflictError(`state key ${key} changed since revision ${expectedRevision}`);
        throw err;
      }
    },
    async delete(key) {
      await kv.delete(checkKey(key));
    },
    async values<T>(prefix?: string) {
      const entries = await Promise.all((await keys(prefix)).map((k) => get<T>(k)));
      return entries.filter((e): e is StateEntry<T> => e !== undefined);
    },
    async watch<T>(prefix: string, onChange: (change: StateChange<T>) => void) {
      let caughtUp!: () => void;
      const initialized = new Promise<void>((resolve) => (caughtUp = resolve));
      const iter = await kv.watch({ key: `${checkKey(prefix.replace(/\.$/, ""))}.>`, initializedFn: () => caughtUp() });
      void (async () => {
        for await (const e of iter) {
          const value = e.operation === "PUT" ? (JSON.parse(decoder.decode(e.value)) as T) : undefined;
          onChange({ key: e.key, value, revision: e.revision });
        }
      })();
      await initialized;
      return { stop: () => iter.stop() };
    },
  };
}
