import { MeshError } from "../errors/index.js";
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from "nats";
import type { Bus } from "./connection.js";
import { modelBuckets, modelPointerHistory } from "./model-store.js";
import { documentBucket } from "./document-store.js";
import { rawBus } from "./raw-bus.js";
import { maxBudgetWindowMs } from "../../policy/types.js";

/**
 * Streams, consumers and buckets, declared once. The operator identity creates or updates them idempotently
 * (`mesh init`, `mesh up`); agents only check that theirs exist (their broker identity may not create any).
 */
export interface TopologyOptions {
  /** Replicas per stream: 1 on a laptop, 3 on a NATS cluster. */
  readonly replicas: number;
  /** Window in which a repeated Nats-Msg-Id is dropped by the server. */
  readonly duplicateWindowMs: number;
  readonly maxAgeDays: number;
  /** Largest message a stream accepts; inbound bodies over the ingest limit still reach the DLQ. */
  readonly maxMsgBytes: number;
  /**
   * How long a journaled model answer is kept (the model-call journal's bucket TTL): longer than any task stays
   * in redelivery, after which a redelivered task would only call the model again, never reuse a stale answer.
   */
  readonly journalTtlMs: number;
}

export const defaultTopologyOptions: TopologyOptions = {
  replicas: 1,
  duplicateWindowMs: 10 * 60_000,
  maxAgeDays: 14,
  maxMsgBytes: 8 * 1024 * 1024,
  journalTtlMs: 86_400_000,
};

export const streamNames = {
  in: "MESH_IN",
  task: "MESH_TASK",
  result: "MESH_RESULT",
  review: "MESH_REVIEW",
  label: "MESH_LABEL",
  correction: "MESH_CORRECTION",
  dlq: "MESH_DLQ",
  audit: "MESH_AUDIT",
} as const;
export type StreamKey = keyof typeof streamNames;

const streamSubjects: Record<StreamKey, string> = {
  in: "mesh.in.>",
  task: "mesh.task.>",
  result: "mesh.result.>",
  review: "mesh.review.>",
  label: "mesh.label.>",
  correction: "mesh.correction.>",
  dlq: "mesh.dlq.>",
  audit: "mesh.audit.>",
};

export const buckets = { policy: "mesh_policy", rateLimits: "mesh_ratelimit", budgets: "mesh_budget", seen: "mesh_seen", identities: "mesh_identities" } as const;

/** The longest rate-limit window any policy may use; counters live twice as long. */
export const maxRateLimitWindowMs = 3_600_000;

// The policy document bounds budget windows; the budget bucket keeps counters twice as long.
export { maxBudgetWindowMs };

/** Policy revisions kept in the bucket's history, for diff and rollback. */
export const policyHistory = 64;

/** Creates the KV buckets if missing (opening an existing bucket leaves its configuration alone). */
export async function ensureBuckets(js: JetStreamClient, opts: TopologyOptions = defaultTopologyOptions): Promise<void> {
  await js.views.kv(buckets.policy, { history: policyHistory, replicas: opts.replicas });
  await js.views.kv(buckets.rateLimits, { history: 1, ttl: maxRateLimitWindowMs * 2, replicas: opts.replicas });
  await js.views.kv(buckets.budgets, { history: 1, ttl: maxBudgetWindowMs * 2, replicas: opts.replicas });
  // Envelope ids already admitted, kept as long as the streams keep tasks: dedupe beyond the duplicate window.
  await js.views.kv(buckets.seen, { history: 1, ttl: opts.maxAgeDays * 86_400_000, replicas: opts.replicas });
  // Public keys of agents and operators (shared/bus/identities.ts); history keeps a rotated key's record.
  await js.views.kv(buckets.identities, { history: 8, replicas: opts.replicas });
  await js.views.os(modelBuckets.objects, { replicas: opts.replicas });
  await js.views.kv(modelBuckets.current, { history: modelPointerHistory, replicas: opts.replicas });
  // Claim-checked documents (invoice PDFs, e-invoices) are kept as long as the tasks that name them.
  await js.views.os(documentBucket, { replicas: opts.replicas, ttl: opts.maxAgeDays * 86_400_000 * 1_000_000 });
}

/** Streams and shared buckets; the operator's first step (agents' consumers and own buckets follow). */
export async function declareTopology(bus: Bus, opts: TopologyOptions = defaultTopologyOptions): Promise<void> {
  await ensureTopology(rawBus(bus).jsm, opts);
  await ensureBuckets(rawBus(bus).js, opts);
}

const ns = (ms: number) => ms * 1_000_000;

export function streamConfigs(opts: TopologyOptions): Partial<StreamConfig>[] {
  return (Object.keys(streamNames) as StreamKey[]).map((key) => ({
    name: streamNames[key],
    subjects: [streamSubjects[key]],
    // Raw inbound events carry personal data in clear: MESH_IN is a work queue, so a message is gone once ingest
    // acks it (admitted, duplicate) or terms it (dead-lettered, with the body sealed in the letter).
    retention: key === "in" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: opts.replicas,
    duplicate_window: ns(opts.duplicateWindowMs),
    max_msg_size: opts.maxMsgBytes,
    discard: DiscardPolicy.Old,
    // The audit trail and the labels are evidence and training data: nobody deletes them through the API.
    ...(key === "audit" || key === "label"
      ? { deny_delete: true, deny_purge: true, max_age: 0 }
      : { max_age: ns(opts.maxAgeDays * 86_400_000) }),
  }));
}

export async function ensureTopology(jsm: JetStreamManager, opts: TopologyOptions = defaultTopologyOptions): Promise<void> {
  for (const config of streamConfigs(opts)) {
    try {
      const existing = await jsm.streams.info(config.name!);
      if (existing.config.retention !== config.retention) {
        // nats-server cannot change a stream's retention in place; recreating it is the operator's decision.
        throw new MeshError(
          "E_CONFIG",
          `stream ${config.name} has ${existing.config.retention} retention, the mesh needs ${config.retention}: let ingest drain it, then delete it (nats stream rm ${config.name}) so the next start creates it`,
        );
      }
      await jsm.streams.update(config.name!, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another agent created it between our info and add: that is the idempotent outcome we wanted.
        if (!/already in use/i.test(String(addErr))) throw addErr;
      }
    }
  }
}

export function isNotFound(err: unknown): boolean {
  return /not found/i.test(String((err as Error)?.message ?? err));
}

export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  /** Upper bound on unacknowledged messages across all replicas: the queue grows in JetStream, not in memory. */
  readonly maxAckPending: number;
}

/**
 * Compares each spec with the consumer on the broker: `missing` (its stream missing counts as missing), and for
 * those that exist the settings that differ from the spec (`durable: ack_wait 2000 ms on the broker, 30000 ms here`).
 */
export async function compareConsumers(
  bus: Bus,
  specs: readonly ConsumerSpec[],
): Promise<{ missing: ConsumerSpec[]; differing: string[] }> {
  const missing: ConsumerSpec[] = [];
  const differing: string[] = [];
  for (const spec of specs) {
    try {
      const { config } = await rawBus(bus).jsm.consumers.info(spec.stream, spec.durable);
      const pairs: [string, number | undefined, number][] = [
        ["ack_wait ms", config.ack_wait === undefined ? undefined : config.ack_wait / 1_000_000, spec.ackWaitMs],
        ["max_deliver", config.max_deliver, spec.maxDeliver],
        ["max_ack_pending", config.max_ack_pending, spec.maxAckPending],
      ];
      for (const [name, there, here] of pairs) if (there !== here) differing.push(`${spec.stream}/${spec.durable}: ${name} ${there} on the broker, ${here} here`);
      if (config.filter_subject !== spec.filterSubject) differing.push(`${spec.stream}/${spec.durable}: filter ${config.filter_subject} on the broker, ${spec.filterSubject} here`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      missing.push(spec);
    }
  }
  return { missing, differing };
}

export async function ensureConsumer(bus: Bus, spec: ConsumerSpec): Promise<void> {
  const { jsm } = rawBus(bus);
  const config = {
    durable_name: spec.durable,
    filter_subject: spec.filterSubject,
    ack_policy: "explicit" as const,
    deliver_policy: "all" as const,
    ack_wait: ns(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
  };
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    await jsm.consumers.update(spec.stream, spec.durable, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(spec.stream, config as never);
  }
}
