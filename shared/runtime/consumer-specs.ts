import { streamNames, subjects, type ConsumerSpec } from "../bus/index.js";
import { agentKind, type AgentDefinition, type TaskAgentDefinition } from "./define-agent.js";

/** The consumer settings an agent's configuration decides (ACK_WAIT_MS, MAX_DELIVER...). */
export interface ConsumerSettings {
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxParkedDeliveries: number;
  readonly maxAckPending: number;
}

export const defaultConsumerSettings: ConsumerSettings = { ackWaitMs: 30_000, maxDeliver: 5, maxParkedDeliveries: 100, maxAckPending: 1000 };

/** `main` reads what the agent consumes; `resume` reads the review decisions on tasks it escalated. */
export type ConsumerRole = "main" | "resume";
export interface AgentConsumerSpec extends ConsumerSpec {
  readonly role: ConsumerRole;
}

/**
 * The durable consumers an agent reads from, derived from its definition alone. The operator creates them
 * (`mesh init`), the broker permissions grant exactly them, and the agent checks they exist: one source, so the
 * three cannot disagree.
 */
export function consumerSpecs(def: AgentDefinition, settings: ConsumerSettings = defaultConsumerSettings): AgentConsumerSpec[] {
  const base = {
    ackWaitMs: settings.ackWaitMs,
    // The server's limit is the larger one; the consume loop applies the smaller one to non-transient failures.
    maxDeliver: Math.max(settings.maxDeliver, settings.maxParkedDeliveries),
    maxAckPending: settings.maxAckPending,
  };
  const main = (stream: string, filterSubject: string): AgentConsumerSpec => ({ ...base, role: "main", stream, durable: def.name, filterSubject });
  const c = def.consumes;
  switch (agentKind(def)) {
    case "ingest": {
      const inbound = (c as { inbound: string }).inbound;
      return [main(streamNames.in, inbound === "*" ? subjects.allInbound() : subjects.inbound(inbound))];
    }
    case "review": {
      const flow = (c as { reviews: string }).reviews;
      return [main(streamNames.review, flow === "*" ? subjects.allReviewRequests() : subjects.reviewRequested(flow))];
    }
    case "label": {
      const flow = (c as { labels: string }).labels;
      return [main(streamNames.label, flow === "*" ? subjects.allLabels() : subjects.label(flow))];
    }
    case "task": {
      const worker = def as TaskAgentDefinition;
      const { flow, stage } = worker.consumes;
      const specs = [main(streamNames.task, subjects.task(flow, stage))];
      if (worker.resume) {
        specs.push({ ...base, role: "resume", stream: streamNames.review, durable: `${def.name}-resume`, filterSubject: subjects.reviewDecided(flow) });
      }
      return specs;
    }
  }
}

/** The journal of the large-model answers of an agent that calls models (its entries expire: TopologyOptions.journalTtlMs). */
export function journalBucketOf(def: AgentDefinition): string | undefined {
  return "models" in def && def.models ? `mesh_journal_${def.name.replace(/-/g, "_")}` : undefined;
}

/** The agent's own KV bucket, when it declares `state: true`. */
export function stateBucketOf(def: AgentDefinition): string | undefined {
  return def.state ? `mesh_state_${def.name.replace(/-/g, "_")}` : undefined;
}
