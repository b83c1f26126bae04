import { buckets, policyHistory, type Bus } from "../../shared/bus/index.js";
import { rawBus } from "../../shared/bus/raw-bus.js";

/**
 * The signed policy in KV `mesh_policy`, key `current`, with history: every revision ever pushed
 * stays readable. This file is the only place in policy/ that touches the bus's KV API.
 */
export const POLICY_KEY = "current";

export interface PolicyEntry {
  /** KV revision (stream sequence), not the policy's own revision. */
  kvRevision: number;
  value: string;
  created: Date;
}

export interface PolicyStore {
  get(): Promise<PolicyEntry | null>;
  history(): Promise<PolicyEntry[]>;
  /** Stores raw text as it is; use pushPolicy to sign and check it first. */
  putRaw(value: string): Promise<number>;
  /** Calls `onEntry` with the current value (if any) and then every update, until stopped. */
  watch(onEntry: (entry: PolicyEntry) => void): Promise<{ stop(): void; done: Promise<void> }>;
}

const decoder = new TextDecoder();

export async function openPolicyStore(bus: Bus): Promise<PolicyStore> {
  // Normally declared with the topology; opening with the same settings keeps a bare bus working too.
  // Known exception to bus-handles-stay-in-bus (.dependency-cruiser.cjs): the policy store watches its bucket's history.
  const kv = await rawBus(bus).js.views.kv(buckets.policy, { history: policyHistory });
  const toEntry = (e: { revision: number; value: Uint8Array; created: Date }): PolicyEntry => ({ kvRevision: e.revision, value: decoder.decode(e.value), created: e.created });
  return {
    async get() {
      const e = await kv.get(POLICY_KEY);
      return e && e.operation === "PUT" ? toEntry(e) : null;
    },
    async history() {
      const out: PolicyEntry[] = [];
      const it = await kv.history({ key: POLICY_KEY });
      for await (const e of it) if (e.operation === "PUT") out.push(toEntry(e));
      return out;
    },
    putRaw: (value) => kv.put(POLICY_KEY, new TextEncoder().encode(value)),
    async watch(onEntry) {
      const it = await kv.watch({ key: POLICY_KEY, ignoreDeletes: true });
      const done = (async () => {
        for await (const e of it) if (e.operation === "PUT") onEntry(toEntry(e));
      })();
      return { stop: () => it.stop(), done };
    },
  };
}
