import { compareConsumers, declareTopology, ensureConsumer, openStateStore, defaultTopologyOptions, type Bus, type ConsumerSpec, type TopologyOptions } from "../bus/index.js";
import { MeshError } from "../errors/index.js";
import { consumerSpecs, journalBucketOf, stateBucketOf, type ConsumerSettings } from "./consumer-specs.js";
import type { AgentConfig } from "./config.js";
import type { AgentDefinition } from "./define-agent.js";

/** Stream settings from the same configuration agents read (STREAM_REPLICAS, DUPLICATE_WINDOW_MS, MAX_EVENT_BYTES, MODEL_JOURNAL_TTL_MS). */
export function topologyOptionsOf(config: AgentConfig): TopologyOptions {
  return {
    replicas: config.streamReplicas,
    duplicateWindowMs: config.duplicateWindowMs,
    maxAgeDays: defaultTopologyOptions.maxAgeDays,
    // Inbound bodies over the ingest limit must still fit, so they can reach the DLQ.
    maxMsgBytes: Math.max(defaultTopologyOptions.maxMsgBytes, config.maxEventBytes * 2),
    journalTtlMs: config.modelJournalTtlMs,
  };
}

/**
 * The operator's side of topology (`mesh init`, `mesh up`, test helpers): streams, shared buckets, and for each
 * agent its durable consumers and its own state bucket. Idempotent; agents never run this (their identity may not).
 */
export async function initMeshTopology(
  bus: Bus,
  agents: readonly { readonly def: AgentDefinition; readonly settings?: ConsumerSettings }[],
  opts: TopologyOptions = defaultTopologyOptions,
): Promise<void> {
  await declareTopology(bus, opts);
  for (const { def, settings } of agents) await declareAgentTopology(bus, def, settings, opts);
}

/** One agent's consumers, state bucket and model-call journal; the streams must exist (initMeshTopology). */
export async function declareAgentTopology(
  bus: Bus,
  def: AgentDefinition,
  settings?: ConsumerSettings,
  opts: Pick<TopologyOptions, "replicas" | "journalTtlMs"> = defaultTopologyOptions,
): Promise<void> {
  for (const spec of consumerSpecs(def, settings)) await ensureConsumer(bus, spec);
  const own = stateBucketOf(def);
  if (own) await openStateStore(bus, own, { replicas: opts.replicas });
  const journal = journalBucketOf(def);
  if (journal) await openStateStore(bus, journal, { replicas: opts.replicas, history: 1, ttlMs: opts.journalTtlMs });
}

/**
 * At start-up: the agent's consumers must already exist; it may not create them, so it says who does. Returns the
 * settings in which the broker's consumers differ from the agent's configuration (the agent logs them).
 */
export async function requireConsumers(bus: Bus, agent: string, specs: readonly ConsumerSpec[]): Promise<string[]> {
  const { missing, differing } = await compareConsumers(bus, specs);
  if (missing.length) {
    const names = missing.map((m) => `${m.stream}/${m.durable}`).join(", ");
    throw new MeshError("E_CONFIG", `agent ${agent}: consumer ${names} does not exist; the operator creates topology: run \`mesh init\` (mesh up does it)`);
  }
  return differing;
}
