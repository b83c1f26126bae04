import type { Bus } from "./connection.js";
import { openStateStore, type StateStore } from "./state-store.js";
import { rawBus } from "./raw-bus.js";

export const modelBuckets = { objects: "mesh_models", current: "mesh_models_current" } as const;
/** Promotions kept per model name in the pointer bucket. */
export const modelPointerHistory = 64;

export interface ModelPointer {
  readonly version: string;
  readonly meta: Record<string, unknown>;
  readonly at: string;
}

/**
 * Model versions as objects in a JetStream object store, plus a KV pointer per model name to the version in
 * service. Promoting a version moves the pointer; every agent watching the pointer hot-loads it.
 */
export interface ModelStore {
  publish(name: string, version: string, artifact: Uint8Array, meta: Record<string, unknown>): Promise<void>;
  current(name: string): Promise<ModelPointer | undefined>;
  get(name: string, version?: string): Promise<Uint8Array | undefined>;
  /** Calls back with each new pointer of `name` (not the one current at the time of the call). */
  watch(name: string, onChange: (pointer: ModelPointer) => void): Promise<{ stop(): void }>;
}

export async function openModelStore(bus: Bus, opts: { replicas?: number } = {}): Promise<ModelStore> {
  const objects = await rawBus(bus).js.views.os(modelBuckets.objects, { replicas: opts.replicas ?? 1 });
  const pointers: StateStore = await openStateStore(bus, modelBuckets.current, { history: modelPointerHistory, ...opts });
  const objectName = (name: string, version: string) => `${name}@${version}`;
  const current = async (name: string) => (await pointers.get<ModelPointer>(name))?.value;
  return {
    current,
    async publish(name, version, artifact, meta) {
      await objects.putBlob({ name: objectName(name, version) }, artifact);
      await pointers.put(name, { version, meta, at: new Date().toISOString() } satisfies ModelPointer);
    },
    async get(name, version) {
      const v = version ?? (await current(name))?.version;
      if (!v) return undefined;
      return (await objects.getBlob(objectName(name, v))) ?? undefined;
    },
    async watch(name, onChange) {
      const kv = await rawBus(bus).js.views.kv(modelBuckets.current);
      const iter = await kv.watch({ key: name, ignoreDeletes: true, initializedFn: undefined });
      let initial = true;
      const seen = (await pointers.get(name))?.revision ?? 0;
      void (async () => {
        for await (const e of iter) {
          if (initial && e.revision <= seen) continue;
          initial = false;
          if (e.operation === "PUT") onChange(JSON.parse(new TextDecoder().decode(e.value)) as ModelPointer);
        }
      })();
      return { stop: () => iter.stop() };
    },
  };
}
