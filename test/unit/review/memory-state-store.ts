import { ConflictError, type StateChange, type StateEntry, type StateStore } from "../../../shared/runtime/index.js";

/**
 * Test-only stand-in for the runtime's JetStream KV state store, with its exact interface and CAS rules:
 * create fails on an existing key, update fails unless the revision matches, revisions grow store-wide.
 * Values round-trip through JSON like the real store.
 */
export function memoryStateStore(): StateStore & { readonly size: number } {
  const data = new Map<string, { json: string; revision: number }>();
  const watchers = new Set<(key: string, json: string | undefined, revision: number) => void>();
  let seq = 0;
  const write = (key: string, value: unknown) => {
    const revision = ++seq;
    const json = JSON.stringify(value);
    data.set(key, { json, revision });
    for (const w of watchers) w(key, json, revision);
    return revision;
  };
  const under = (key: string, prefix: string) => key.startsWith(`${prefix.replace(/\.$/, "")}.`);
  const get = async <T>(key: string): Promise<StateEntry<T> | undefined> => {
    const e = data.get(key);
    return e && { key, value: JSON.parse(e.json) as T, revision: e.revision };
  };
  const keys = async (prefix?: string) =>
    [...data.keys()].filter((k) => !prefix || under(k, prefix)).sort();
  return {
    get size() {
      return data.size;
    },
    get,
    keys,
    async put(key, value) {
      return write(key, value);
    },
    async create(key, value) {
      if (data.has(key)) throw new ConflictError(`state key ${key} already exists`);
      return write(key, value);
    },
    async update(key, value, expectedRevision) {
      if (data.get(key)?.revision !== expectedRevision) throw new ConflictError(`state key ${key} changed since revision ${expectedRevision}`);
      return write(key, value);
    },
    async delete(key) {
      data.delete(key);
      const revision = ++seq;
      for (const w of watchers) w(key, undefined, revision);
    },
    async values<T>(prefix?: string) {
      const out: StateEntry<T>[] = [];
      for (const k of await keys(prefix)) {
        const e = await get<T>(k);
        if (e) out.push(e);
      }
      return out;
    },
    async watch<T>(prefix: string, onChange: (change: StateChange<T>) => void) {
      const deliver = (key: string, json: string | undefined, revision: number) => {
        if (under(key, prefix)) onChange({ key, value: json === undefined ? undefined : (JSON.parse(json) as T), revision });
      };
      for (const [key, e] of [...data].sort((a, b) => a[1].revision - b[1].revision)) deliver(key, e.json, e.revision);
      watchers.add(deliver);
      return { stop: () => void watchers.delete(deliver) };
    },
  };
}
