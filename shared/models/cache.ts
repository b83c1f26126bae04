import { LRUCache } from "lru-cache";
import { normaliseText } from "./features.js";

/**
 * Answers keyed by (tier, model version, normalised input), bounded by entry count and age. A new model
 * version changes the key, so a retrained model never serves its predecessor's answers.
 */
export interface ModelCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export const defaultCacheOptions: ModelCacheOptions = { maxEntries: 10_000, ttlMs: 3_600_000 };

export interface ModelCache<V extends {}> {
  get(tier: string, modelVersion: string, input: string): V | undefined;
  set(tier: string, modelVersion: string, input: string, value: V): void;
  readonly size: number;
  clear(): void;
}

export function cacheKey(tier: string, modelVersion: string, input: string): string {
  return `${tier}\u0000${modelVersion}\u0000${normaliseText(input)}`;
}

/** @example const cache = createModelCache<ClassifyResult>({ maxEntries: 10_000, ttlMs: 3_600_000 }) */
export function createModelCache<V extends {}>(opts: ModelCacheOptions = defaultCacheOptions): ModelCache<V> {
  const lru = new LRUCache<string, V>({ max: opts.maxEntries, ttl: opts.ttlMs });
  return {
    get: (tier, version, input) => lru.get(cacheKey(tier, version, input)),
    set: (tier, version, input, value) => void lru.set(cacheKey(tier, version, input), value),
    get size() {
      return lru.size;
    },
    clear: () => lru.clear(),
  };
}
