import {
  connectBus,
  ensureConsumer,
  startConsumeLoop,
  streamNames,
  subjects,
  watchMaxDeliveries,
  type Delivery,
} from "../bus/index.js";
import { parseEnvelope, type TaskEnvelope } from "../envelope/index.js";
import { SchemaError, describeIssues } from "../errors/index.js";
import { childSpan, createLogger, createMetrics, formatTraceparent, parseTraceparent, type MeshMetrics } from "../telemetry/index.js";
import { defaultPolicyPath, loadPolicyFile } from "../../policy/index.js";
import { AuditWriter } from "./audit-writer.js";
import { redactedConfig, type AgentConfig } from "./config.js";
import { EffectScope } from "./context.js";
import { isIngestAgent, type AgentDefinition } from "./define-agent.js";
import { startHealthServer } from "./health-server.js";
import { taskMessageSchema } from "./messages.js";
import { PolicyGate } from "./policy-gate.js";
import { ModelAccess } from "./model-access.js";

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
  traceparent?: string;
}

export async function runAgent(def: AgentDefinition, config: AgentConfig): Promise<RunningAgent> {
  const log = createLogger(def.name, { level: config.logLevel });
  log.info({ config: redactedConfig(config), version: def.version }, "starting agent");
  const metrics = createMetrics();
  let ready = false;
  const http = await startHealthServer({ host: config.httpHost, port: config.httpPort, registry: metrics.registry, ready: () => ready });

  const bus = await connectBus({
    servers: config.natsUrl,
    name: `${def.name}@${config.instance}`,
    ...(config.natsUser ? { user: config.natsUser, pass: config.natsPass } : {}),
    topology: {
      replicas: config.streamReplicas,
      duplicateWindowMs: config.duplicateWindowMs,
      maxAgeDays: 14,
      maxMsgBytes: Math.max(8 * 1024 * 1024, config.maxEventBytes * 2),
    },
  });
  const policy = loadPolicyFile(config.policyFile ?? defaultPolicyPath);
  const audit = new AuditWriter(bus, def.name, config.instance, config.auditSigningSeed);
  const gate = new PolicyGate(policy, def.name, config.instance, audit, metrics, log);
  const models = new ModelAccess(config, gate, metrics);

  const ingest = isIngestAgent(def);
  const stream = ingest ? streamNames.in : streamNames.task;
  const filterSubject = ingest
    ? def.consumes.inbound === "*"
      ? subjects.allInbound()
      : subjects.inbound(def.consumes.inbound)
    : subjects.task(def.consumes.flow, def.consumes.stage);
  const concurrency = config.concurrency ?? def.concurrency ?? 16;
  await ensureConsumer(bus.jsm, {
    stream,
    durable: def.name,
    filterSubject,
    ackWaitMs: config.ackWaitMs,
    maxDeliver: config.maxDeliver,
    maxAckPending: config.maxAckPending,
  });

  const states = new WeakMap<Delivery, DeliveryState>();
  const flowOfDelivery = (d: Delivery) => (ingest ? (d.subject.split(".")[2] ?? "unknown") : def.consumes.flow);

  const handle = async (d: Delivery): Promise<void> => {
    const state: DeliveryState = { flow: flowOfDelivery(d) };
    states.set(d, state);
    metrics.mesh_tasks_in_flight.inc({ agent: def.name });
    try {
      if (isIngestAgent(def)) {
        const parent = parseTraceparent(d.headers.traceparent);
        const trace = childSpan(parent);
        state.traceparent = formatTraceparent(trace);
        const scope = newScope(trace);
        state.scope = scope;
        await def.handle(
          { flow: state.flow, subject: d.subject, body: d.data, headers: d.headers, traceparent: state.traceparent },
          scope.ingestContext(config.maxEventBytes),
        );
      } else {
        const message = parseTaskMessage(d.data);
        const task: TaskEnvelope = parseEnvelope(message.envelope);
        state.envelopeId = task.id;
        const trace = childSpan(parseTraceparent(d.headers.traceparent) ?? parseTraceparent(task.trace.traceparent));
        state.traceparent = formatTraceparent(trace);
        const scope = newScope(trace);
        state.scope = scope;
        await def.handle(task, scope.taskContext(task, message.data, d.attempt));
      }
    } finally {
      metrics.mesh_tasks_in_flight.dec({ agent: def.name });
    }
  };

  const newScope = (trace: ReturnType<typeof childSpan>) =>
    new EffectScope({
      bus,
      gate,
      audit,
      agent: { name: def.name, version: def.version },
      log: log.child({ trace_id: trace.traceId }),
      trace,
      toolTimeoutMs: config.toolTimeoutMs,
      policyRevision: () => gate.revision,
      models,
    });

  const loop = await startConsumeLoop(bus, {
    stream,
    durable: def.name,
    agent: def.name,
    concurrency,
    maxDeliver: config.maxDeliver,
    ackWaitMs: config.ackWaitMs,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    handle,
    describe: (d) => {
      const s = states.get(d);
      return { ...(s?.envelopeId ? { envelopeId: s.envelopeId } : {}), ...(s?.traceparent ? { traceparent: s.traceparent } : {}) };
    },
    onOutcome: (d, outcome, ms) => {
      const flow = states.get(d)?.flow ?? flowOfDelivery(d);
      const labels = { flow, agent: def.name };
      metrics.mesh_task_duration_seconds.observe(labels, ms / 1000);
      if (outcome.kind === "acked") {
        const scope = states.get(d)?.scope;
        metrics.mesh_tasks_total.inc({ ...labels, outcome: scope?.outcome ?? "none" });
        if (!ingest) metrics.mesh_task_cost_usd.observe({ flow }, scope?.costUsd ?? 0);
      } else if (outcome.kind === "retried") {
        metrics.mesh_tasks_total.inc({ ...labels, outcome: "retried" });
        log.warn({ err: outcome.error, attempt: d.attempt, delayMs: outcome.delayMs, subject: d.subject }, "task will be retried");
      } else {
        metrics.mesh_tasks_total.inc({ ...labels, outcome: "dead_lettered" });
        metrics.mesh_dlq_messages_total.inc({ flow, code: outcome.letter.code });
        log.warn({ code: outcome.letter.code, reason: outcome.letter.reason, subject: d.subject, seq: d.streamSeq }, "dead-lettered");
      }
    },
    onError: (err, where) => log.error({ err, where }, "consume loop error"),
  });
  const advisories = watchMaxDeliveries(bus, stream, def.name, def.name, (err) => log.error({ err }, "max-deliveries advisory"));

  ready = true;
  log.info({ httpPort: http.port, consumes: filterSubject, concurrency, policyRevision: gate.revision }, "agent ready");

  let stopping: Promise<void> | undefined;
  return {
    httpPort: http.port,
    metrics,
    stop() {
      stopping ??= (async () => {
        ready = false;
        log.info("draining");
        await loop.stop(config.shutdownGraceMs);
        advisories.unsubscribe();
        await bus.close();
        await http.close();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}

function parseTaskMessage(data: Uint8Array) {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch (err) {
    throw new SchemaError(`(body): task message is not JSON (${(err as Error).message})`);
  }
  const parsed = taskMessageSchema.safeParse(json);
  if (!parsed.success) throw new SchemaError(`task message: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
