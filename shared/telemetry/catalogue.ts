/**
 * The metric catalogue: every metric the mesh exports, with its unit, labels and meaning, in one place.
 * Label values must come from bounded sets (flow names, agent names, outcome enums), never from ids.
 * The Grafana dashboard and the Prometheus rules may reference only names listed here (a test checks).
 */
export type MetricKind = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const costBuckets = [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

export const catalogue = {
  mesh_build_info: {
    kind: "gauge",
    help: "Always 1; the labels say which build this process runs (commit \"source\" when it runs the TypeScript through tsx).",
    labels: ["agent", "version", "commit", "node"],
  },
  mesh_broker_connected: {
    kind: "gauge",
    help: "1 while this process is connected to the NATS broker, 0 while it is reconnecting.",
    labels: ["agent"],
  },
  mesh_broker_reconnects_total: {
    kind: "counter",
    help: "Times this process reconnected to the NATS broker after losing it.",
    labels: ["agent"],
  },
  mesh_tasks_total: {
    kind: "counter",
    help: "Tasks handled, by outcome (completed, escalated, dead_lettered, retried, failed).",
    labels: ["flow", "agent", "outcome"],
  },
  mesh_tasks_completed_total: {
    kind: "counter",
    help: "Tasks completed, by whether a human touched them (touch: none = straight through, human = after a review decision). The hit-rate of a flow is none / (none + human); `mesh plan --measured` reads it.",
    labels: ["flow", "agent", "touch"],
  },
  mesh_task_duration_seconds: {
    kind: "histogram",
    help: "Time one handler invocation took, from pull to ack.",
    labels: ["flow", "agent"],
    buckets: latencyBuckets,
  },
  mesh_task_end_to_end_seconds: {
    kind: "histogram",
    help: "Time from envelope creation to the task's final outcome, including any wait for a human (see mesh_task_machine_seconds).",
    labels: ["flow", "outcome"],
    buckets: latencyBuckets,
  },
  mesh_task_machine_seconds: {
    kind: "histogram",
    help: "The mesh's own part of a task's time to outcome: end to end less the wait for a human decision (mesh_review_duration_seconds). The latency SLO is on this.",
    labels: ["flow", "outcome"],
    buckets: latencyBuckets,
  },
  mesh_tasks_in_flight: {
    kind: "gauge",
    help: "Handler invocations running now in this process.",
    labels: ["agent"],
  },
  mesh_events_ingested_total: {
    kind: "counter",
    help: "Inbound events turned into envelopes (result: accepted, duplicate, invalid).",
    labels: ["flow", "result"],
  },
  mesh_dlq_messages_total: {
    kind: "counter",
    help: "Messages dead-lettered, by error code (E_SCHEMA, E_POLICY_DENY, E_MAX_DELIVERIES, E_HANDLER...).",
    labels: ["flow", "code"],
  },
  mesh_dlq_depth: {
    kind: "gauge",
    help: "Dead letters held now (MESH_DLQ by subject), per flow; falls as `mesh dlq replay` removes them. Reported by ingest.",
    labels: ["flow"],
  },
  mesh_policy_decisions_total: {
    kind: "counter",
    help: "Policy decisions taken by this process (effect: allow, deny, would_deny).",
    labels: ["agent", "action", "effect"],
  },
  mesh_policy_revision: {
    kind: "gauge",
    help: "Revision of the policy document this process enforces.",
    labels: [],
  },
  mesh_social_mentions_total: {
    kind: "counter",
    help: "Mentions of the mesh's social account a connector submitted to the social flow (one replica polls at a time; sum over replicas).",
    labels: [],
  },
  mesh_social_replies_total: {
    kind: "counter",
    help: "Social mentions by what the connector did (outcome: posted, drafted, skipped, refused, escalated, held).",
    labels: ["outcome"],
  },
  mesh_social_platform_remaining: {
    kind: "gauge",
    help: "Posts the platform still allows in its window (X-RateLimit-Remaining last seen).",
    labels: [],
  },
  mesh_social_sentiment_total: {
    kind: "counter",
    help: "Social mentions a connector handled, by mood from the AFINN lexicon (sentiment: negative, neutral, positive).",
    labels: ["sentiment"],
  },
  mesh_social_pile_ons_total: {
    kind: "counter",
    help: "Pile-ons (a burst of negative mentions) that paused auto-replies and went to review (scope: thread, topic).",
    labels: ["scope"],
  },
  mesh_social_platform_limit: {
    kind: "gauge",
    help: "Posts the platform allows per window (X-RateLimit-Limit last seen); limit minus remaining is the budget used.",
    labels: [],
  },
  mesh_social_posting_stopped: {
    kind: "gauge",
    help: "1 while posting is stopped because the platform refused it (403); an operator resumes it.",
    labels: [],
  },
  mesh_model_requests_total: {
    kind: "counter",
    help: "Model tier calls (outcome: ok, error, timeout, breaker_open, cache_hit).",
    labels: ["tier", "model", "outcome"],
  },
  mesh_model_latency_seconds: {
    kind: "histogram",
    help: "Latency of one model tier call.",
    labels: ["tier", "model"],
    buckets: latencyBuckets,
  },
  mesh_model_tokens_total: {
    kind: "counter",
    help: "Tokens sent to (input) and received from (output) model endpoints.",
    labels: ["tier", "model", "direction"],
  },
  mesh_model_cost_usd_total: {
    kind: "counter",
    help: "Model spend in US dollars.",
    labels: ["flow", "tier", "model"],
  },
  mesh_task_cost_usd: {
    kind: "histogram",
    help: "Model spend of one task in US dollars.",
    labels: ["flow"],
    buckets: costBuckets,
  },
  mesh_model_cache_requests_total: {
    kind: "counter",
    help: "Model cache lookups (result: hit, miss).",
    labels: ["tier", "result"],
  },
  mesh_router_decisions_total: {
    kind: "counter",
    help: "Where the router settled a classification (tier: cache, small, large, human).",
    labels: ["flow", "tier"],
  },
  mesh_breaker_state: {
    kind: "gauge",
    help: "Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.",
    labels: ["endpoint"],
  },
  mesh_escalations_total: {
    kind: "counter",
    help: "Tasks handed to a human, by reason code.",
    labels: ["flow", "reason"],
  },
  mesh_corrections_total: {
    kind: "counter",
    help: "Reviewer corrections (rework) per flow.",
    labels: ["flow"],
  },
  mesh_review_queue_depth: {
    kind: "gauge",
    help: "Review items waiting for a decision.",
    labels: ["flow"],
  },
  mesh_review_oldest_pending_age_seconds: {
    kind: "gauge",
    help: "Age of the oldest review request still waiting for a decision (0 when none waits).",
    labels: ["flow"],
  },
  mesh_review_decisions_total: {
    kind: "counter",
    help: "Review decisions and four-eyes approvals per reviewer (reviewers are the configured sign-in identities, a bounded set).",
    labels: ["flow", "reviewer", "decision"],
  },
  mesh_review_agreements_total: {
    kind: "counter",
    help: "Second opinions that agreed: a reviewer shown an item another had already approved (four-eyes) approved the same values.",
    labels: ["flow"],
  },
  mesh_review_disagreements_total: {
    kind: "counter",
    help: "Second opinions that disagreed: a reviewer shown an item another had already approved corrected it to other values or rejected it.",
    labels: ["flow"],
  },
  mesh_review_sla_breaches_total: {
    kind: "counter",
    help: "Review items that passed their SLA before a decision.",
    labels: ["flow"],
  },
  mesh_review_duration_seconds: {
    kind: "histogram",
    help: "Human time from review request to decision.",
    labels: ["flow"],
    buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400],
  },
  mesh_drift_psi: {
    kind: "gauge",
    help: "Population stability index of a feature against its reference window.",
    labels: ["flow", "feature"],
  },
  mesh_correction_rate: {
    kind: "gauge",
    help: "Share of reviewed tasks whose model answer was corrected, over the recent window.",
    labels: ["flow"],
  },
  mesh_routing_tightened: {
    kind: "gauge",
    help: "1 while a flow's routing is tightened because its inputs drifted (more to the large model or to humans), else 0.",
    labels: ["flow"],
  },
  mesh_consumer_present: {
    kind: "gauge",
    help: "1 while the agent's durable consumer exists on the broker, 0 once it is gone (only the operator recreates it: mesh init).",
    labels: ["stream", "consumer"],
  },
  mesh_consumer_stalled_seconds: {
    kind: "gauge",
    help: "Seconds since the agent's pull on a durable consumer last delivered or was renewed, while no pull is live and the consumer has pending work; 0 otherwise.",
    labels: ["stream", "consumer"],
  },
  mesh_consumer_pending_messages: {
    kind: "gauge",
    help: "Messages waiting in a durable consumer (lag).",
    labels: ["stream", "consumer"],
  },
  mesh_audit_records_total: {
    kind: "counter",
    help: "Audit records appended by this process.",
    labels: ["agent"],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof catalogue;
