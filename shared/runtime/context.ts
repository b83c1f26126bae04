import { publish, streamNames, subjects, type Bus, type ModelStore, type StateStore } from "../bus/index.js";
import type { AgentConfig } from "./config.js";
import type { MeshMetrics } from "../telemetry/index.js";
import type { Label, ReviewDecision } from "./messages.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { MeshError, TransientError, type ErrorCode } from "../errors/index.js";
import { currentTrace, formatTraceparent, inSpan, type Logger, type TraceContext } from "../telemetry/index.js";
import type { Action, Resource } from "../../policy/index.js";
import type { AuditWriter } from "./audit-writer.js";
import { taskFacts, type AdmittedRecord, type ResultMessage, type ReviewRequest, type TaskMessage } from "./messages.js";
import type { GateRequest, PolicyGate } from "./policy-gate.js";
import type { ClassifyResult, DraftRequest, DraftResult, ModelAccess } from "./model-access.js";
import type { PersonalData } from "./personal-data.js";

export interface RawEvent {
  readonly flow: string;
  readonly subject: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** From the inbound message's `traceparent` header, or a new trace. */
  readonly traceparent: string;
}

export interface EscalationRequest {
  /** Machine-readable reason (mismatch_amount, low_confidence, approval_required...). */
  readonly code: string;
  readonly reason: string;
  readonly suggestions?: unknown;
  readonly snapshot?: unknown;
}

export interface ToolRequest {
  readonly url: string;
  readonly method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Region the tool's endpoint stores or processes data in (residency). */
  readonly region?: string;
}

export interface ToolResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface CompleteOptions {
  /** Business category of the outcome (e.g. an intent); policy may require approval for some. */
  readonly category?: string;
  /** Set when a human decision stands behind the completion. */
  readonly approved?: boolean;
}

export type Outcome = "completed" | "escalated" | "emitted" | "admitted" | "duplicate" | "none";

/** The only door to effects for a worker agent. Every method asks policy first and leaves an audit record. */
export interface AgentContext<I = unknown> {
  readonly task: TaskEnvelope;
  /** What the previous stage attached to the task, if anything. */
  readonly input: I | undefined;
  readonly attempt: number;
  readonly log: Logger;
  readonly traceparent: string;
  emit(stage: string, data?: unknown): Promise<void>;
  complete(result: unknown, opts?: CompleteOptions): Promise<void>;
  escalate(req: EscalationRequest): Promise<void>;
  /** Ends the task as a permanent failure: dead-lettered with this code and message, never retried. */
  fail(code: ErrorCode, message: string): never;
  tool(req: ToolRequest): Promise<ToolResponse>;
  /** Classifies text with the named classifier: cache → small model → large model, or "escalate" for a human. */
  classify(classifier: string, text: string): Promise<ClassifyResult>;
  /** Drafts a reply through an allowed large model; text is null when none may be used (reason says why). */
  draft(req: DraftRequest): Promise<DraftResult>;
}

export interface IngestContext {
  readonly log: Logger;
  readonly maxEventBytes: number;
  /** Publishes a new envelope as mesh.task.<flow>.ingested. */
  admit(envelope: TaskEnvelope): Promise<void>;
}

/** Context of a review-intake handler (an agent with `consumes: { reviews }`). */
export interface IntakeContext {
  readonly log: Logger;
  readonly attempt: number;
  readonly state: StateStore;
}

/** Context of a label handler (an agent with `consumes: { labels }`), e.g. the trainer. */
export interface LabelContext {
  readonly log: Logger;
  readonly attempt: number;
  readonly state: StateStore;
  /** Model versions; `publish` is policy-checked (data.write on mesh.model.<name>) and audited. */
  readonly models: ModelStore;
}

export interface ReviewDecisionInput {
  readonly request: ReviewRequest;
  readonly reviewer: { readonly id: string; readonly roles: readonly string[] };
  readonly decision: "approve" | "correct" | "reject";
  /** Field path → corrected value. */
  readonly corrections?: Readonly<Record<string, unknown>>;
  readonly reasonCode?: string;
  readonly comment?: string;
  /** Training data from this decision; published to mesh.label.<flow>. */
  readonly label?: { readonly text: string; readonly prediction: string | null; readonly correction: string | null; readonly modelVersion: string | null };
}

/** What `serve` gets: the agent's state, metrics and its door to effects outside a delivery. */
export interface ServiceContext {
  readonly log: Logger;
  readonly metrics: MeshMetrics;
  readonly config: AgentConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly state: StateStore;
  /** Model versions (agents that consume tasks or labels); `publish` is policy-checked and audited. */
  readonly models: ModelStore | undefined;
  /** Records a human's decision on a review request: policy review.decide, then decided + label + correction events. */
  decide(input: ReviewDecisionInput): Promise<ReviewDecision>;
  /** Reads back labels of a flow (mesh.label.<flow>), oldest first. */
  labels(flow: string): Promise<Label[]>;
  /**
   * Review requests' envelopes as a person may see them: personal fields opened when policy allows `data.read` of
   * them on mesh.review.<flow>.requested with the person's roles (audited), sealed otherwise.
   */
  revealForReviewer(envelopes: readonly TaskEnvelope[], reviewer: { readonly id: string; readonly roles: readonly string[] }): Promise<TaskEnvelope[]>;
}

export interface ScopeDeps {
  readonly bus: Bus;
  readonly gate: PolicyGate;
  readonly audit: AuditWriter;
  readonly agent: { readonly name: string; readonly version: string };
  readonly log: Logger;
  readonly trace: TraceContext;
  readonly toolTimeoutMs: number;
  readonly models: ModelAccess;
  /** Envelopes already admitted, by id (KV mesh_seen). */
  readonly seen: StateStore;
  readonly personal: PersonalData;
}

/**
 * One delivery's effects. Each effect is: policy decision (audited) → publish with an idempotency key
 * `<envelope>:<agent>:<stage>` → audit of the effect. The consume loop acks only after all of it resolved.
 */
export class EffectScope {
  outcome: Outcome = "none";
  /** Model spend of this delivery, for the cost-per-task histogram. */
  costUsd = 0;
  /** Reason code of the escalation, for the escalations metric. */
  escalationCode: string | undefined;
  constructor(private readonly deps: ScopeDeps) {}

  get log(): Logger {
    return this.deps.log;
  }

  /** For effects that are not a publish (storing a model version): policy first, then the effect, then audit. */
  async authorizeAndAudit<T>(req: Omit<GateRequest, "traceId">, effect: () => Promise<T>): Promise<T> {
    const { gate, audit, trace } = this.deps;
    await gate.authorize({ ...req, traceId: trace.traceId });
    const result = await effect();
    await audit.append({
      kind: "effect",
      action: req.action,
      effect: "done",
      region: req.region,
      traceId: trace.traceId,
      ...(req.resource.subject ? { subject: req.resource.subject } : {}),
      ...(req.auditDetail ? { detail: req.auditDetail } : {}),
    });
    return result;
  }

  get traceparent(): string {
    return formatTraceparent(this.deps.trace);
  }

  /** Policy decision, idempotent publish, audit: the one path every effect takes. */
  async publishEffect(
    task: TaskEnvelope,
    action: Action,
    subject: string,
    stage: string,
    body: unknown,
    resource: Resource = {},
    context: Record<string, unknown> = {},
    gateExtra: { roles?: readonly string[]; auditDetail?: Record<string, unknown> } = {},
  ): Promise<{ seq: number; duplicate: boolean }> {
    const { gate, bus, audit, agent, trace } = this.deps;
    const facts = taskFacts(task);
    await gate.authorize({
      action,
      resource: { subject, region: task.region, ...resource },
      context: { task: facts, ...context },
      region: task.region,
      traceId: trace.traceId,
      ...gateExtra,
    });
    const published = await inSpan(`publish ${stage}`, { "messaging.destination": subject }, () =>
      publish(bus, subject, body, {
        msgId: `${task.id}:${agent.name}:${stage}`,
        // The next hop's parent is this publish span.
        headers: { traceparent: formatTraceparent(currentTrace() ?? this.deps.trace), "Mesh-Agent": agent.name, "Mesh-Envelope": task.id },
      }), "producer");
    await audit.append({
      kind: "effect",
      action,
      effect: "done",
      subject,
      taskId: task.id,
      flow: task.flow,
      region: task.region,
      traceId: trace.traceId,
      detail: { seq: published.seq, duplicate: published.duplicate },
    });
    return published;
  }

  ingestContext(maxEventBytes: number): IngestContext {
    return {
      log: this.deps.log,
      maxEventBytes,
      admit: async (clear) => {
        // Within the duplicate window the broker drops a repeated publish; beyond it, this record does. The mark
        // is written after the publish, so a crash in between is covered by the window, never a lost task.
        if (await this.deps.seen.get(clear.id)) {
          this.outcome = "duplicate";
          return;
        }
        const envelope = this.deps.personal.protect(clear);
        const message: TaskMessage = { envelope, stage: "ingested", from: this.deps.agent };
        const subject = subjects.task(envelope.flow, "ingested");
        const { seq } = await this.publishEffect(envelope, "event.emit", subject, "ingested", message);
        // Where the envelope is, not the envelope: `mesh replay` reads it back from the task stream by sequence.
        const record: AdmittedRecord = { id: envelope.id, digest: envelope.digest, stream: streamNames.task, seq, subject, at: new Date().toISOString() };
        await this.deps.seen.put(envelope.id, record);
        this.outcome = "admitted";
      },
    };
  }

  taskContext<I>(task: TaskEnvelope, input: I | undefined, attempt: number): AgentContext<I> {
    const { agent, log } = this.deps;
    return {
      task,
      input,
      attempt,
      log,
      traceparent: this.traceparent,
      emit: async (stage, data) => {
        const message: TaskMessage = { envelope: task, stage, from: agent, ...(data === undefined ? {} : { data }) };
        await this.publishEffect(task, "event.emit", subjects.task(task.flow, stage), stage, message);
        if (this.outcome === "none") this.outcome = "emitted";
      },
      complete: async (result, opts = {}) => {
        const message: ResultMessage = {
          envelopeId: task.id,
          digest: task.digest,
          flow: task.flow,
          tenant: task.tenant,
          region: task.region,
          agent: agent.name,
          agentVersion: agent.version,
          result,
          createdAt: task.createdAt,
          completedAt: new Date().toISOString(),
          traceparent: this.traceparent,
        };
        await this.publishEffect(
          task,
          "task.complete",
          subjects.result(task.flow),
          "result",
          message,
          opts.category ? { category: opts.category } : {},
          opts.approved === undefined ? {} : { approved: opts.approved },
        );
        this.outcome = "completed";
      },
      escalate: async (req) => {
        const message: ReviewRequest = {
          envelopeId: task.id,
          digest: task.digest,
          flow: task.flow,
          envelope: task,
          code: req.code,
          reason: req.reason,
          suggestions: req.suggestions,
          snapshot: req.snapshot,
          requestedBy: agent,
          requestedAt: new Date().toISOString(),
          policyRevision: this.deps.gate.revision,
          traceparent: this.traceparent,
        };
        await this.publishEffect(task, "event.emit", subjects.reviewRequested(task.flow), "review", message);
        this.outcome = "escalated";
        this.escalationCode = req.code;
      },
      fail: (code, message) => {
        throw new MeshError(code, message);
      },
      tool: (req) => this.tool(task, req),
      classify: async (classifier, text) => {
        const result = await this.deps.models.classify(task, this.deps.trace.traceId, classifier, text);
        this.costUsd += result.costUsd;
        return result;
      },
      draft: async (req) => {
        const result = await this.deps.models.draft(task, this.deps.trace.traceId, req);
        this.costUsd += result.costUsd;
        return result;
      },
    };
  }

  private async tool(task: TaskEnvelope, req: ToolRequest): Promise<ToolResponse> {
    const { gate, trace, toolTimeoutMs } = this.deps;
    await gate.authorize({
      action: "tool.call",
      resource: { url: req.url, ...(req.region ? { region: req.region } : {}) },
      context: { task: taskFacts(task) },
      region: task.region,
      traceId: trace.traceId,
    });
    let res: Response;
    try {
      res = await fetch(req.url, {
        method: req.method ?? "GET",
        headers: { "content-type": "application/json", traceparent: this.traceparent, ...req.headers },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: AbortSignal.timeout(toolTimeoutMs),
      });
    } catch (err) {
      throw new TransientError("E_TOOL", `tool ${req.url}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status >= 500 || res.status === 429) throw new TransientError("E_TOOL", `tool ${req.url} answered ${res.status}`);
    if (res.status >= 400) throw new MeshError("E_TOOL", `tool ${req.url} answered ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: hand the text back as it is
    }
    return { status: res.status, body };
  }
}
