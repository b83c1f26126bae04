import { budgetBucket, buckets, documentBucket, modelBuckets, rateLimitBucket, streamNames, subjects } from "../bus/index.js";
import type { PolicyDocument } from "../../policy/document/index.js";
import { spendsBudgets, takesRateLimitTokens, writesBucket, type BrokerFootprint, type BucketAccess } from "../../policy/nats-permissions/index.js";
import { consumerSpecs, journalBucketOf, stateBucketOf } from "./consumer-specs.js";
import { agentKind, type AgentDefinition } from "./define-agent.js";

/**
 * What an agent process uses on the broker, derived from its definition and the policy document; the broker
 * permissions grant exactly this (policy/nats-permissions). Kept beside runAgent because it mirrors what
 * runAgent opens: a store opened here but not there is a grant too many, the reverse a refusal at start-up.
 */
export function brokerFootprint(def: AgentDefinition, doc: PolicyDocument): BrokerFootprint {
  const kind = agentKind(def);
  const usesModels = kind === "task" || kind === "label";
  const bucket = (name: string, access: BucketAccess) => ({ name, access });
  const own = stateBucketOf(def);
  const journal = journalBucketOf(def);
  const readsLabels = doc.rules.some(
    (r) => r.effect === "permit" && r.principals.includes(def.name) && (r.actions === "*" || r.actions.includes("data.read")) && r.resources?.subjects?.includes(subjects.allLabels()),
  );
  // Ingest answers the status service (shared/runtime/status-service.ts) from the flows' task ledgers.
  const answersStatus = kind === "ingest";
  const ledger = [streamNames.task, streamNames.result, streamNames.review, streamNames.dlq];
  return {
    consumers: consumerSpecs(def).map(({ stream, durable }) => ({ stream, durable })),
    // A service reads labels back (ServiceContext.labels) only where the document lets the agent read labels.
    reads: [...(def.serve && readsLabels ? [streamNames.label] : []), ...(answersStatus ? ledger : [])],
    serves: answersStatus ? [subjects.allStatus()] : [],
    buckets: [
      // Every agent watches the signed policy and may look up identities; neither is written by an agent.
      bucket(buckets.policy, "read"),
      bucket(buckets.identities, "read"),
      // Opened by every agent; only those the document names read or write them (the seen marks hold envelopes).
      bucket(buckets.seen, writesBucket(doc, def.name, buckets.seen) ? "write" : answersStatus ? "read" : "info"),
      bucket(rateLimitBucket, takesRateLimitTokens(doc, def.name) ? "write" : "info"),
      bucket(budgetBucket, spendsBudgets(doc, def.name) ? "write" : "info"),
      ...(usesModels ? [bucket(modelBuckets.current, writesBucket(doc, def.name, modelBuckets.current) ? "write" : "read")] : []),
      ...(own ? [bucket(own, "write")] : []),
      ...(journal ? [bucket(journal, "write")] : []),
    ],
    objectStores: [...(usesModels ? [modelBuckets.objects] : []), ...("documents" in def && def.documents ? [documentBucket] : [])],
  };
}
