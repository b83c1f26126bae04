import {
  connectBus,
  buckets,
  deadLetterDepths,
  openDocumentStore,
  openModelStore,
  openRateLimitStore,
  openBudgetStore,
  openStateStore,
  publish,
  publishDeadLetter,
  consumerInfo,
  deadLetterSubject,
  readIdentities,
  readStream,
  startConsumeLoop,
  streamNames,
  subjects,
  watchMaxDeliveries,
  type BodyEncoder,
  type Bus,
  type ConsumeLoop,
  type Delivery,
  type DeadLetter,
  type Identity,
  type ModelStore,
  type StateStore,
} from "../bus/index.js";
import { serveTaskStatus } from "./status-service.js";
import { checkedEnvelope, parseJsonBody, sourceRefOf, type TaskEnvelope } from "../envelope/index.js";
import { MeshError, SchemaError, describeIssues } from "../errors/index.js";
import {
  DriftMonitor,
  DriftResponse,
  childSpan,
  createLogger,
  createMetrics,
  currentTrace,
  formatTraceparent,
  inSpan,
  parseTraceparent,
  startTracing,
  type Logger,
  type MeshMetrics,
  type TraceContext,
} from "../telemetry/index.js";
import { defaultPolicyPath, loadPolicyFile } from "../../policy/index.js";
import { piiLogOptions } from "../../policy/pii/index.js";
import { forbiddenPromisesList } from "../../policy/output-checks/index.js";
import { loadStoredPolicy, watchPolicy, type PolicyWatch } from "../../policy/distribution/index.js";
import type { z } from "zod";
import { AuditWriter } from "./audit-writer.js";
import { agentSettingsEnv, redactedConfig, type AgentConfig } from "./config.js";
import { EffectScope, type GovernedModelStore, type ServiceContext } from "./context.js";
import { agentKind, type AgentDefinition, type TaskAgentDefinition } from "./define-agent.js";
import { consumerSpecs, journalBucketOf, type AgentConsumerSpec } from "./consumer-specs.js";
import { watchConsumers } from "./consumer-readiness.js";
import { requireConsumers } from "./mesh-topology.js";
import { inboxPrefixOf } from "../../policy/nats-permissions/index.js";
import { startHealthServer } from "./health-server.js";
import { labelSchema, reviewDecisionSchema, reviewRequestSchema, taskMessageSchema } from "./messages.js";
import { ModelAccess } from "./model-access.js";
import { trackOperatorMetrics } from "./operator-metrics.js";
import { PersonalData, requireDataKeys } from "./personal-data.js";
import { PolicyGate } from "./policy-gate.js";
import { createEffectPipeline } from "./effects/index.js";
import { approversFor, approversForCategory, recordApproval, recordReviewDecision } from "./review-decisions.js";
import { verifyReviewDecision, type DecisionVerifier } from "./review-verification.js";

export interface RunningAgent {
  readonly httpPort: number;
  readonly metrics: MeshMetrics;
  /** Stops pulling, finishes or naks in-flight work, flushes, closes. Safe to call twice. */
  stop(): Promise<void>;
}

interface DeliveryState {
  scope?: EffectScope;
  flow: string;
  envelopeId?: string;
  /** The caller's source ref, carried by every outcome including a dead letter. */
  source?: { system: string; id: string };
  traceparent?: string;
  createdAt?: string;
  /** A resumed task's wait for its human decision, from the decision's own times: not the mesh's latency. */
  humanWaitMs?: number;
}

/** One durable consumer of the agent: where it reads, and what a delivery means. */
interface Subscription {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  readonly flowOf: (d: Delivery) => string;
  /** How its dead letters hold the body (raw inbound events: sealed). */
  readonly encodeBody?: BodyEncoder;
  handle(d: Delivery, state: DeliveryState): Promise<void>;
}

export async function runAgent(def: AgentDefinition, config: AgentConfig): Promise<RunningAgent> {
  const policy = loadPolicyFile(config.policyFile ?? defaultPolicyPath);
  // Log lines never carry PII: the policy's paths are censored and free text is scrubbed by its detectors.
  const log = createLogger(def.name, { level: config.logLevel, redact: [...policy.document.logRedactPaths], extend: piiLogOptions });
  log.info({ config: redactedConfig(config), version: def.version }, "starting agent");
  const tracing = await startTracing({ name: def.name, version: def.version, instance: config.instance, region: config.region });
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { referenceSize: config.driftReferenceSize, windowSize: config.driftWindowSize });
  let ready = false;
  let consumersPresent = () => true;
  const loops: ConsumeLoop[] = [];
  // Ready means work can reach this agent: a consumer that exists is not enough, its pull must be live too.
  const pulling = () => loops.every((l) => l.pulling());
  const http = await startHealthServer({ host: config.httpHost, port: config.httpPort, registry: metrics.registry, ready: () => ready && consumersPresent() && pulling() });

  const bus = await connectBus({
    servers: config.natsUrl,
    name: `${def.name}@${config.instance}`,
    ...(config.natsUser ? { user: config.natsUser, pass: config.natsPass } : {}),
    ...(config.identitySeed ? { seed: config.identitySeed } : {}),
    inboxPrefix: inboxPrefixOf(def.name),
  });
  trackOperatorMetrics(bus, metrics, def.name, def.version);
  // The operator creates topology (mesh init); an agent only checks that its consumers are there.
  const specs = consumerSpecs(def, config);
  const differing = await requireConsumers(bus, def.name, specs);
  if (differing.length) log.warn({ differing }, "the broker's consumers differ from this configuration; the broker's settings apply (mesh init updates them)");
  const audit = new AuditWriter(bus, def.name, config.instance, config.identitySeed);
  const gate = new PolicyGate(policy, metrics);
  const perform = createEffectPipeline({
    policy: gate,
    audit,
    rateLimits: await openRateLimitStore(bus, { replicas: config.streamReplicas }),
    budgets: await openBudgetStore(bus, { replicas: config.streamReplicas }),
    metrics,
    log,
    agent: def.name,
  });
  const policyWatch = await followPolicy(bus, config, gate, audit, log);
  const kind = agentKind(def);
  const modelStore = kind === "task" || kind === "label" ? await openModelStore(bus, { replicas: config.streamReplicas }) : undefined;
  const seen = await openStateStore(bus, buckets.seen, { replicas: config.streamReplicas });
  const documents = (kind === "task" || kind === "review") && "documents" in def && def.documents ? await openDocumentStore(bus, { replicas: config.streamReplicas }) : undefined;
  const stateBucket = `mesh_state_${def.name.replace(/-/g, "_")}`;
  const personal = new PersonalData(kind === "label" ? config.dataKeys : requireDataKeys(config.dataKeys, def.name), def.name, config.region);

  const newScope = (trace: TraceContext, delivery = false): EffectScope =>
    new EffectScope({
      delivery,
      perform,
      bus,
      agent: { name: def.name, version: def.version },
      instance: config.instance,
      log,
      trace,
      toolTimeoutMs: config.toolTimeoutMs,
      models,
      seen,
      revision: () => gate.revision,
      personal,
      state,
      ...(documents ? { documents } : {}),
    });
  // State writes are effects like any other (data.write on $KV.<bucket>.<key>): decided and audited.
  const state = def.state
    ? governedState(await openStateStore(bus, stateBucket, { replicas: config.streamReplicas }), stateBucket, () => newScope(currentTrace() ?? childSpan()), config.region)
    : undeclaredState(def.name);
  // An agent that calls models journals their large-model answers in a bucket of their own whose entries expire,
  // so a redelivery never calls twice and the journal does not grow without end.
  const journalBucket = journalBucketOf(def);
  const journal = journalBucket
    ? governedState(await openStateStore(bus, journalBucket, { replicas: config.streamReplicas, history: 1 }), journalBucket, () => newScope(currentTrace() ?? childSpan()), config.region)
    : undefined;
  // Drift that acts: each change of a flow's routing is logged and audited (the policy decides what it tightens).
  const driftResponse = new DriftResponse(drift, metrics, {
    psiLimit: config.driftPsiLimit,
    correctionRateLimit: config.driftCorrectionRateLimit,
    stableMs: config.driftStableMs,
    onChange: (change) => {
      log.warn(change, change.tightened ? "inputs drifted: the flow's routing is tightened" : "inputs stable for the whole window: the flow's routing relaxes");
      void audit
        .append({ kind: "policy", action: change.tightened ? "routing.tighten" : "routing.relax", effect: "done", revision: gate.revision, region: config.region, flow: change.flow, detail: { ...change } })
        .catch((err) => log.error({ err }, "audit of a routing change failed"));
    },
  });
  const models = new ModelAccess(config, () => newScope(childSpan()), modelStore, log, metrics, drift, journal, driftResponse, () => gate.current.document.lists[forbiddenPromisesList] ?? []);
  const verifier = decisionVerifier(bus, gate);
  /**
   * A delivery runs as a consumer span continuing the trace it arrived with (or the task's); its effects,
   * model calls and log lines all carry that span.
   */
  const traced: Traced = (d, state, fallback, fn) =>
    inSpan(
      `${def.name} consume`,
      { "messaging.destination": d.subject, "mesh.agent": def.name, "mesh.attempt": d.attempt, ...(state.envelopeId ? { "mesh.envelope": state.envelopeId } : {}) },
      async () => {
        const trace = currentTrace()!;
        state.traceparent = formatTraceparent(trace);
        const scope = (state.scope = newScope(trace, true));
        await fn(scope);
        // The consume loop acks when this resolves: only once every effect of the delivery is on the audit stream.
        await scope.auditsStored();
      },
      "consumer",
      parseTraceparent(d.headers.traceparent) ?? parseTraceparent(fallback),
    );

  const audited = modelStore ? auditedModelStore(modelStore, newScope, config.region) : undefined;
  const subscriptions = subscriptionsOf(def, specs, {
    maxEventBytes: config.maxEventBytes,
    traced,
    state,
    log,
    models: audited,
    verifier,
    onIngested: (flow, result) => metrics.mesh_events_ingested_total.inc({ flow, result }),
    personal,
  });
  const concurrency = config.concurrency ?? def.concurrency ?? 16;
  const advisories: { unsubscribe(): void }[] = [];
  // A dead letter is an effect too: decided (event.emit on mesh.dlq.<flow>) and audited like any other, whether
  // the consume loop writes it or the MAX_DELIVERIES advisory does.
  const deadLetter = (letter: DeadLetter) =>
    newScope(parseTraceparent(letter.traceparent ?? letter.headers.traceparent) ?? childSpan()).perform({
      action: "event.emit",
      resource: { subject: deadLetterSubject(letter) },
      facts: {},
      region: config.region,
      auditDetail: { code: letter.code, stream: letter.stream, streamSeq: letter.streamSeq, ...(letter.envelopeId ? { envelopeId: letter.envelopeId } : {}) },
      run: () => publishDeadLetter(bus, letter),
    });
  const consumers = watchConsumers(bus, specs, { intervalMs: config.consumerCheckMs, metrics, log });
  consumersPresent = consumers.present;
  for (const sub of subscriptions) {
    loops.push(await startLoop(bus, sub, def, config, concurrency, metrics, log, deadLetter, () => void consumers.check()));
    advisories.push(watchMaxDeliveries(bus, sub, def.name, deadLetter, (err) => log.error({ err }, "max-deliveries advisory")));
  }
  const backlog = new Map<string, number>();
  const dlqFlows = new Set<string>();
  const lag = setInterval(() => {
    void reportLag(bus, subscriptions, loops, backlog, metrics);
    // Ingest reads MESH_DLQ anyway (it answers status): one reporter, with no grant added for it.
    if (kind === "ingest") void reportDlqDepth(bus, dlqFlows, metrics);
    drift.refresh();
  }, 5000);
  lag.unref();

  const service = def.serve
    ? await def.serve(serviceContext(config, log, metrics, drift, state, audited, bus, gate, newScope, kind === "task" || kind === "label", personal))
    : undefined;

  // Ingest is where every task begins, so it answers where one is (the ledger it reads is in its footprint).
  const statusService = kind === "ingest" ? serveTaskStatus(bus, def.name, () => newScope(childSpan()), config.region, log) : undefined;

  if ("models" in def && def.models) {
    const started = Date.now();
    await models.warm();
    log.info({ ms: Date.now() - started }, "models loaded");
  }
  ready = true;
  log.info({ httpPort: http.port, consumes: subscriptions.map((s) => s.filterSubject), concurrency, policyRevision: gate.revision }, "agent ready");

  let stopping: Promise<void> | undefined;
  return {
    httpPort: http.port,
    metrics,
    stop() {
      stopping ??= (async () => {
        ready = false;
        log.info("draining");
        clearInterval(lag);
        consumers.stop();
        await service?.close();
        statusService?.stop();
        await Promise.all(loops.map((l) => l.stop(config.shutdownGraceMs)));
        for (const a of advisories) a.unsubscribe();
        models.close();
        policyWatch?.stop();
        await audit.close();
        await bus.close();
        await http.close();
        const lost = await tracing?.shutdown();
        if (lost) log.warn(lost);
        log.info("stopped");
      })();
      return stopping;
    },
  };
}

type Traced = (d: Delivery, state: DeliveryState, fallbackTraceparent: string | undefined, fn: (scope: EffectScope) => Promise<void>) => Promise<void>;

interface SubscriptionDeps {
  readonly maxEventBytes: number;
  readonly traced: Traced;
  readonly state: StateStore;
  readonly log: Logger;
  readonly models: GovernedModelStore | undefined;
  readonly verifier: DecisionVerifier;
  readonly onIngested: (flow: string, result: "accepted" | "duplicate" | "invalid") => void;
  readonly personal: PersonalData;
}

/** Every kind of agent is a set of durable consumers (from consumerSpecs) over the same delivery machinery. */
function subscriptionsOf(def: AgentDefinition, specs: readonly AgentConsumerSpec[], deps: SubscriptionDeps): Subscription[] {
  const token = (d: Delivery, i: number) => d.subject.split(".")[i] ?? "unknown";
  const kind = agentKind(def);
  const consumerOf = (role: AgentConsumerSpec["role"]) => {
    const spec = specs.find((s) => s.role === role)!;
    return { stream: spec.stream, durable: spec.durable, filterSubject: spec.filterSubject };
  };
  if (kind === "ingest") {
    const ingest = def as Extract<AgentDefinition, { consumes: { inbound: string } }>;
    return [
      {
        ...consumerOf("main"),
        flowOf: (d) => token(d, 2),
        encodeBody: deps.personal.sealLetterBody,
        async handle(d, state) {
          try {
            await deps.traced(d, state, undefined, (scope) =>
              ingest.handle(
                { flow: state.flow, subject: d.subject, body: d.data, headers: d.headers, traceparent: state.traceparent! },
                scope.ingestContext(deps.maxEventBytes),
              ),
            );
            deps.onIngested(state.flow, state.scope?.outcome === "duplicate" ? "duplicate" : "accepted");
          } catch (err) {
            if (err instanceof SchemaError) deps.onIngested(state.flow, "invalid");
            // A refused event's letter names its source and envelope id when the body names a valid source ref.
            const ref = sourceRefOf(d.data);
            if (ref) Object.assign(state, ref);
            throw err;
          }
        },
      },
    ];
  }
  // Review intake and label learners: a parsed body, its envelope id, and the agent's own context.
  const bodySubscription = <T extends { envelopeId: string }>(
    schema: z.ZodType<T>,
    what: string,
    traceOf: (body: T) => string | undefined,
    run: (body: T, scope: EffectScope, attempt: number) => Promise<void>,
  ): Subscription[] => [
    {
      ...consumerOf("main"),
      flowOf: (d) => token(d, 2),
      async handle(d, state) {
        const body = parseBody(d.data, schema, what);
        state.envelopeId = body.envelopeId;
        await deps.traced(d, state, traceOf(body), (scope) => run(body, scope, d.attempt));
      },
    },
  ];
  if (kind === "review") {
    const review = def as Extract<AgentDefinition, { consumes: { reviews: string } }>;
    return bodySubscription(
      reviewRequestSchema,
      "review request",
      (request) => request.traceparent,
      (request, scope, attempt) => review.handle(request, { log: scope.log, attempt, state: deps.state }),
    );
  }
  if (kind === "label") {
    const learner = def as Extract<AgentDefinition, { consumes: { labels: string } }>;
    return bodySubscription(
      labelSchema,
      "label",
      () => undefined,
      (label, scope, attempt) => learner.handle(label, { log: scope.log, attempt, state: deps.state, models: deps.models! }),
    );
  }
  const worker = def as TaskAgentDefinition;
  const { flow } = worker.consumes;
  const subs: Subscription[] = [
    {
      ...consumerOf("main"),
      flowOf: () => flow,
      async handle(d, state) {
        const message = parseBody(d.data, taskMessageSchema, "task message");
        const task: TaskEnvelope = checkedEnvelope(message.envelope);
        state.envelopeId = task.id;
        state.source = task.source;
        state.createdAt = task.createdAt;
        await deps.traced(d, state, task.trace.traceparent, async (scope) => {
          const ctx = await deps.personal.revealContext(scope.taskContext(task, message.data, d.attempt), d.subject, scope);
          return worker.handle(ctx.task, ctx);
        });
      },
    },
  ];
  if (worker.resume) {
    const resume = worker.resume.bind(worker);
    subs.push({
      ...consumerOf("resume"),
      flowOf: () => flow,
      async handle(d, state) {
        const decision = parseBody(d.data, reviewDecisionSchema, "review decision");
        // Decisions on tasks another agent escalated are theirs to resume.
        if (decision.requestedBy.name !== def.name) return;
        const task = checkedEnvelope(decision.envelope);
        state.envelopeId = task.id;
        state.source = task.source;
        state.createdAt = task.createdAt;
        state.humanWaitMs = Math.max(0, Date.parse(decision.decidedAt) - Date.parse(decision.requestedAt)) || 0;
        // Only a decision the runtime verified may stand behind the task's facts (approved, a corrected category).
        const human = await verifyReviewDecision(decision, task, deps.verifier);
        await deps.traced(d, state, decision.traceparent, async (scope) => {
          scope.verifiedHuman(human);
          const ctx = await deps.personal.revealContext(scope.taskContext(task, undefined, d.attempt), d.subject, scope);
          return resume(ctx.task, decision, ctx);
        });
      },
    });
  }
  return subs;
}

async function startLoop(
  bus: Bus,
  sub: Subscription,
  def: AgentDefinition,
  config: AgentConfig,
  concurrency: number,
  metrics: MeshMetrics,
  log: Logger,
  deadLetter: (letter: DeadLetter) => Promise<unknown>,
  checkConsumers: () => void,
): Promise<ConsumeLoop> {
  const states = new WeakMap<Delivery, DeliveryState>();
  return startConsumeLoop(bus, {
    deadLetter,
    stream: sub.stream,
    durable: sub.durable,
    agent: def.name,
    concurrency,
    maxDeliver: config.maxDeliver,
    ...(sub.encodeBody ? { encodeBody: sub.encodeBody } : {}),
    maxParkedDeliveries: Math.max(config.maxDeliver, config.maxParkedDeliveries),
    ackWaitMs: config.ackWaitMs,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    async handle(d) {
      const state: DeliveryState = { flow: sub.flowOf(d) };
      states.set(d, state);
      metrics.mesh_tasks_in_flight.inc({ agent: def.name });
      try {
        await sub.handle(d, state);
      } finally {
        metrics.mesh_tasks_in_flight.dec({ agent: def.name });
      }
    },
    describe: (d) => {
      const s = states.get(d);
      return {
        ...(s?.envelopeId ? { envelopeId: s.envelopeId } : {}),
        ...(s?.source ? { source: s.source } : {}),
        ...(s?.traceparent ? { traceparent: s.traceparent } : {}),
      };
    },
    onOutcome: (d, outcome, ms) => {
      const s = states.get(d);
      const flow = s?.flow ?? sub.flowOf(d);
      const labels = { flow, agent: def.name };
      metrics.mesh_task_duration_seconds.observe(labels, ms / 1000);
      const sinceCreated = s?.createdAt ? (Date.now() - Date.parse(s.createdAt)) / 1000 : undefined;
      const machineSeconds = sinceCreated === undefined ? 0 : Math.max(0, sinceCreated - (s?.humanWaitMs ?? 0) / 1000);
      if (outcome.kind === "acked") {
        const result = s?.scope?.outcome ?? "none";
        metrics.mesh_tasks_total.inc({ ...labels, outcome: result });
        // Only the resume path records a human's wait: a completion there is one a human touched.
        if (result === "completed") metrics.mesh_tasks_completed_total.inc({ ...labels, touch: s?.humanWaitMs === undefined ? "none" : "human" });
        if (s?.createdAt) metrics.mesh_task_cost_usd.observe({ flow }, s.scope?.costUsd ?? 0);
        if (sinceCreated !== undefined && (result === "completed" || result === "escalated")) {
          metrics.mesh_task_end_to_end_seconds.observe({ flow, outcome: result }, sinceCreated);
          metrics.mesh_task_machine_seconds.observe({ flow, outcome: result }, machineSeconds);
        }
        if (result === "escalated" && s?.scope?.escalationCode) metrics.mesh_escalations_total.inc({ flow, reason: s.scope.escalationCode });
      } else if (outcome.kind === "retried") {
        metrics.mesh_tasks_total.inc({ ...labels, outcome: "retried" });
        log.warn({ err: outcome.error, attempt: d.attempt, delayMs: outcome.delayMs, subject: d.subject }, "task will be retried");
      } else {
        metrics.mesh_tasks_total.inc({ ...labels, outcome: "dead_lettered" });
        metrics.mesh_dlq_messages_total.inc({ flow, code: outcome.letter.code });
        if (sinceCreated !== undefined) {
          metrics.mesh_task_end_to_end_seconds.observe({ flow, outcome: "dead_lettered" }, sinceCreated);
          metrics.mesh_task_machine_seconds.observe({ flow, outcome: "dead_lettered" }, machineSeconds);
        }
        log.warn({ code: outcome.letter.code, reason: outcome.letter.reason, subject: d.subject, seq: d.streamSeq }, "dead-lettered");
      }
    },
    onPullState: (s) => {
      const fields = { stream: sub.stream, consumer: sub.durable, reason: s.reason, detail: s.detail };
      if (s.live) log.info(fields, "consumer pull is live again");
      else {
        log.warn(fields, "consumer pull is not live: not ready until deliveries or pulls resume");
        // The consumer may be gone: find out now rather than at the next check.
        checkConsumers();
      }
    },
    onError: (err, where) => {
      log.error({ err, where }, "consume loop error");
      // A loop that cannot pull may have lost its consumer: find out now rather than at the next check.
      checkConsumers();
    },
  });
}

function serviceContext(
  config: AgentConfig,
  log: Logger,
  metrics: MeshMetrics,
  drift: DriftMonitor,
  state: StateStore,
  models: GovernedModelStore | undefined,
  bus: Bus,
  gate: PolicyGate,
  newScope: (trace: TraceContext) => EffectScope,
  hasModels: boolean,
  personal: PersonalData,
): ServiceContext {
  return {
    log,
    metrics,
    config,
    env: agentSettingsEnv(config.agent),
    state,
    models: hasModels ? models : undefined,
    tool: (req) => newScope(currentTrace() ?? childSpan()).tool(req, { region: config.region }, config.region),
    async submit(flow, id, event) {
      const scope = newScope(currentTrace() ?? childSpan());
      const subject = subjects.inbound(flow);
      await scope.perform({
        action: "event.emit",
        resource: { subject },
        facts: {},
        region: config.region,
        run: () => publish(bus, subject, event, { msgId: `${config.agent}:${id}`, headers: { traceparent: scope.traceparent, "Mesh-Agent": config.agent } }),
        describe: (published) => ({ seq: published.seq, duplicate: published.duplicate }),
      });
    },
    decide: (input) =>
      inSpan("review decide", { "mesh.envelope": input.request.envelopeId, "mesh.decision": input.decision }, async () => {
        if (!config.identitySeed) throw new MeshError("E_CONFIG", "MESH_IDENTITY_SEED is not set: review decisions are signed by the recording agent's identity");
        const decision = await recordReviewDecision(newScope(currentTrace()!), metrics, gate.revision, input, config.identitySeed);
        drift.recordReview(decision.flow, decision.decision === "correct");
        return decision;
      }, "server", parseTraceparent(input.request.traceparent)),
    approve: (input) =>
      inSpan("review approve", { "mesh.envelope": input.request.envelopeId, "mesh.decision": input.decision }, async () => {
        if (!config.identitySeed) throw new MeshError("E_CONFIG", "MESH_IDENTITY_SEED is not set: review approvals are signed by the recording agent's identity");
        return recordApproval(newScope(currentTrace()!), input, config.identitySeed);
      }, "server", parseTraceparent(input.request.traceparent)),
    approversFor: (request, values) => approversFor(gate, request, values),
    approversForCategory: (flow, category) => approversForCategory(gate, config.agent, flow, category),
    revealForReviewer: (envelopes, reviewer) =>
      personal.revealFor(envelopes, (e) => subjects.reviewRequested(e.flow), reviewer, newScope(currentTrace() ?? childSpan())),
    documentForReviewer: (ref, task, reviewer) => newScope(currentTrace() ?? childSpan()).readDocument(ref, task, {}, reviewer),
    async labels(flow) {
      return (await readStream(bus, streamNames.label, { filterSubject: subjects.label(flow), deleteWhenDone: false })).map((m) =>
        parseBody(m.data, labelSchema, "label"),
      );
    },
  };
}

/** Promoting a model version is an effect like any other: policy data.write on mesh.model.<name>, then audit. */
function auditedModelStore(store: ModelStore, newScope: (trace: TraceContext) => EffectScope, region: string): GovernedModelStore {
  return {
    ...store,
    async refuse(name, version, meta) {
      await newScope(childSpan()).perform({
        action: "data.write",
        resource: { subject: subjects.model(name) },
        facts: {},
        region,
        auditDetail: { model: name, version, promoted: false, ...meta },
        run: async () => {},
      });
    },
    async publish(name, version, artifact, meta) {
      await newScope(childSpan()).perform({
        action: "data.write",
        resource: { subject: subjects.model(name) },
        facts: {},
        region,
        auditDetail: { model: name, version, ...meta },
        run: () => store.publish(name, version, artifact, meta),
      });
    },
  };
}

/** The agent's own KV state, each write decided (data.write on `$KV.<bucket>.<key>`) and audited. */
function governedState(store: StateStore, bucket: string, scope: () => EffectScope, region: string): StateStore {
  const write = <T>(key: string, run: () => Promise<T>) =>
    scope().perform({ action: "data.write", resource: { subject: subjects.stateKey(bucket, key) }, facts: {}, region, run });
  return {
    get: (key) => store.get(key),
    keys: (prefix) => store.keys(prefix),
    values: (prefix) => store.values(prefix),
    watch: (prefix, onChange) => store.watch(prefix, onChange),
    put: (key, value) => write(key, () => store.put(key, value)),
    create: (key, value) => write(key, () => store.create(key, value)),
    update: (key, value, revision) => write(key, () => store.update(key, value, revision)),
    delete: (key) => write(key, () => store.delete(key)),
  };
}

/**
 * Verifies review decisions against the registered identities, re-read whenever a signer is not among them (one
 * may have been registered since); only the review agent and the operator may publish decisions at all.
 */
function decisionVerifier(bus: Bus, gate: PolicyGate): DecisionVerifier {
  let known: Map<string, Identity> | undefined;
  return {
    async identity(publicKey) {
      if (!known?.has(publicKey)) known = await readIdentities(bus);
      return known.get(publicKey);
    },
    decide: (req) => gate.decide(req),
  };
}

/**
 * With approvers configured, the signed document in KV mesh_policy overrides the shipped file (when newer)
 * and every later signed revision is swapped in atomically; each swap and each rejection is audited.
 */
async function followPolicy(bus: Bus, config: AgentConfig, gate: PolicyGate, audit: AuditWriter, log: Logger): Promise<PolicyWatch | undefined> {
  if (!config.policyApprovers.length) {
    log.warn("MESH_POLICY_APPROVERS is not set: enforcing the policy file only; signed updates in KV mesh_policy are ignored");
    return undefined;
  }
  const stored = await loadStoredPolicy(bus, config.policyApprovers).catch((err: Error) => {
    log.error({ err }, "the stored policy does not verify; enforcing the policy file");
    return undefined;
  });
  if (stored && stored.revision > gate.revision) gate.swap(stored);
  return watchPolicy(bus, {
    trustedApprovers: config.policyApprovers,
    initial: gate.current,
    onSwap: (policy, change) => {
      gate.swap(policy);
      log.info({ revision: change.revision, approver: change.approver }, "policy revision in force");
      void audit
        .append({ kind: "policy", action: "policy.change", effect: "done", revision: change.revision, region: config.region, detail: { ...change } })
        .catch((err) => log.error({ err }, "audit of a policy change failed"));
    },
    onReject: (rejection) => {
      log.error({ err: rejection.error, kept: rejection.kept }, "rejected a stored policy document; the last good revision stays");
      void audit
        .append({ kind: "policy", action: "policy.change", effect: "rejected", revision: rejection.kept, region: config.region, detail: { reason: rejection.error.message, kvRevision: rejection.kvRevision } })
        .catch((err) => log.error({ err }, "audit of a policy rejection failed"));
    },
  });
}

/** Consumer lag, and how long a consumer with work waiting has had no live pull (`backlog` keeps the last lag seen). */
async function reportLag(bus: Bus, subs: readonly Subscription[], loops: readonly ConsumeLoop[], backlog: Map<string, number>, metrics: MeshMetrics): Promise<void> {
  for (const [i, sub] of subs.entries()) {
    const labels = { stream: sub.stream, consumer: sub.durable };
    const key = `${sub.stream}/${sub.durable}`;
    try {
      const info = await consumerInfo(bus, sub.stream, sub.durable);
      backlog.set(key, info.num_pending + info.num_ack_pending);
      metrics.mesh_consumer_pending_messages.set(labels, backlog.get(key)!);
    } catch {
      // the broker is away; the gauge keeps its last value until it is back
    }
    // A stall only matters with work waiting. While the broker is away the last backlog seen stands for it, and
    // the loop's own count (in flight, and pending as of its last delivery) covers the time before the first poll.
    const waiting = Math.max(backlog.get(key) ?? 0, loops[i]?.knownBacklog() ?? 0);
    metrics.mesh_consumer_stalled_seconds.set(labels, waiting > 0 ? (loops[i]?.stalledMs() ?? 0) / 1000 : 0);
  }
}

/** Dead letters held per flow; a flow seen before whose letters were all replayed reads 0, not its last value. */
async function reportDlqDepth(bus: Bus, flows: Set<string>, metrics: MeshMetrics): Promise<void> {
  try {
    const depths = await deadLetterDepths(bus);
    for (const flow of depths.keys()) flows.add(flow);
    for (const flow of flows) metrics.mesh_dlq_depth.set({ flow }, depths.get(flow) ?? 0);
  } catch {
    // the broker is away; the gauge keeps its last value until it is back
  }
}

function undeclaredState(agent: string): StateStore {
  const refuse = () => {
    throw new MeshError("E_CONFIG", `agent ${agent} uses ctx.state but does not declare it: add \`state: true\` to its defineAgent`);
  };
  return { get: refuse, put: refuse, create: refuse, update: refuse, delete: refuse, keys: refuse, values: refuse, watch: refuse };
}

function parseBody<T extends z.ZodType>(data: Uint8Array, schema: T, what: string): z.infer<T> {
  const parsed = schema.safeParse(parseJsonBody(data, what));
  if (!parsed.success) throw new SchemaError(`${what}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
