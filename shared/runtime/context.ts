import { buckets, publish, streamNames, subjects, type Bus, type DocumentStore, type ModelStore, type Published, type StateStore } from "../bus/index.js";
import type { AgentConfig } from "./config.js";
import type { MeshMetrics } from "../telemetry/index.js";
import type { Label, ReviewApproval, ReviewDecision } from "./messages.js";
import { personalDataClass, type DocumentRef, type TaskEnvelope } from "../envelope/index.js";
import { MeshError, TransientError, type ErrorCode } from "../errors/index.js";
import { currentTrace, formatTraceparent, inSpan, type Logger, type TraceContext } from "../telemetry/index.js";
import type { Action, Principal } from "../../policy/index.js";
import type { Effect, Perform, RuntimeFacts } from "./effects/index.js";
import { taskFacts, type AdmittedRecord, type ResultMessage, type ReviewRequest, type TaskMessage } from "./messages.js";
import type { ClassifyResult, DraftRequest, DraftResult, FieldsRequest, FieldsResult, ModelAccess } from "./model-access.js";
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
  /** Distinct approvers the review must collect (a refusal's `approvers`, four-eyes: 2). */
  readonly approvers?: number;
}

export interface ToolRequest {
  readonly url: string;
  readonly method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Region the tool's endpoint stores or processes data in (residency). */
  readonly region?: string;
  /** The endpoint's name in the policy document (`resources.endpoints`), when its rules name it. */
  readonly endpoint?: string;
  /**
   * 4xx statuses the caller handles itself (a 429's Retry-After, a 403 that must stop a connector): answered as a
   * response instead of thrown. Others still throw (429 and 5xx transient, other 4xx permanent).
   */
  readonly answerStatuses?: readonly number[];
}

export interface ToolResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers, names lower-cased (rate-limit headers, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
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
  /** Ends the task with its result. Whether it may (a high-risk category needs a human) is decided on the runtime's facts. */
  complete(result: unknown): Promise<void>;
  escalate(req: EscalationRequest): Promise<void>;
  /** Ends the task as a permanent failure: dead-lettered with this code and message, never retried. */
  fail(code: ErrorCode, message: string): never;
  tool(req: ToolRequest): Promise<ToolResponse>;
  /** Classifies text with the named classifier: cache → small model → large model, or "escalate" for a human. */
  classify(classifier: string, text: string): Promise<ClassifyResult>;
  /** Drafts a reply through an allowed large model; text is null when none may be used (reason says why). */
  draft(req: DraftRequest): Promise<DraftResult>;
  /**
   * Reads the schema's fields from a document's text through an allowed large model (structured output, parsed
   * against the schema); values null when none may answer (reason says why). Journaled: a redelivery never calls twice.
   */
  readFields(req: FieldsRequest): Promise<FieldsResult>;
  /** The agent's own durable state (KV mesh_state_<agent>), when it declares `state: true`; writes are decided and audited. */
  readonly state: StateStore;
  /**
   * The bytes a document reference names (claim-check), when the agent declares `documents: true`: data.read on
   * mesh.document.<flow>, audited. Refused (dead-lettered) when missing, over the reference's size, or when the
   * bytes do not hash to its digest.
   */
  document(ref: DocumentRef): Promise<Uint8Array>;
  /**
   * Hands the task on to another flow as a new inbound event on mesh.in.<flow> (ingest validates it like any
   * other), at most once per task: the publish's idempotency key is the envelope, the agent and the flow.
   */
  handOff(flow: string, event: unknown): Promise<void>;
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

/** The model store as agents see it: promotions and refusals are both policy-checked effects, audited with their figures. */
export interface GovernedModelStore extends ModelStore {
  /** Records that `version` was judged and not promoted: data.write on mesh.model.<name> whose effect is the decision itself. */
  refuse(name: string, version: string, meta: Record<string, unknown>): Promise<void>;
}

/** Context of a label handler (an agent with `consumes: { labels }`), e.g. the trainer. */
export interface LabelContext {
  readonly log: Logger;
  readonly attempt: number;
  readonly state: StateStore;
  /** Model versions; `publish` is policy-checked (data.write on mesh.model.<name>) and audited. */
  readonly models: GovernedModelStore;
}

export interface ReviewDecisionInput {
  readonly request: ReviewRequest;
  readonly reviewer: { readonly id: string; readonly roles: readonly string[] };
  readonly decision: "approve" | "correct" | "reject";
  /** Field path → corrected value. */
  readonly corrections?: Readonly<Record<string, unknown>>;
  readonly reasonCode?: string;
  readonly comment?: string;
  /** Earlier approvers' signed approvals of the same values (four-eyes); the decision carries them. */
  readonly approvals?: readonly ReviewApproval[];
  /** Training data from this decision; published to mesh.label.<flow>. */
  readonly label?: {
    readonly text: string;
    readonly prediction: string | null;
    readonly correction: string | null;
    readonly modelVersion: string | null;
    /** Tier that predicted and the confidence it reported (the large tier's calibration is fitted on these). */
    readonly tier?: string | null;
    readonly confidence?: number | null;
  };
}

/** What `serve` gets: the agent's state, metrics and its door to effects outside a delivery. */
export interface ServiceContext {
  readonly log: Logger;
  readonly metrics: MeshMetrics;
  readonly config: AgentConfig;
  /** The agent's own settings: only environment variables named `<AGENT>_*` (e.g. REVIEW_PORT), never the process's secrets. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly state: StateStore;
  /** Model versions (agents that consume tasks or labels); `publish` is policy-checked and audited. */
  readonly models: GovernedModelStore | undefined;
  /** A tool call outside any task (polling a platform): policy tool.call, audited, with the process's region. */
  tool(req: ToolRequest): Promise<ToolResponse>;
  /**
   * Publishes a raw event to the flow's inbound subject (mesh.in.<flow>) as any external publisher would, through
   * policy (event.emit) and audit; `id` is the publish's idempotency key (the broker drops a repeat in its window).
   */
  submit(flow: string, id: string, event: unknown): Promise<void>;
  /** Records a human's decision on a review request: policy review.decide, then decided + label + correction events. */
  decide(input: ReviewDecisionInput): Promise<ReviewDecision>;
  /**
   * Records one approver's approval that does not decide yet (four-eyes): policy review.decide, audited, signed by
   * this agent's identity; the final decision carries it so the resuming agent can verify every approver.
   */
  approve(input: Omit<ReviewDecisionInput, "decision" | "label" | "reasonCode" | "approvals"> & { readonly decision: "approve" | "correct" }): Promise<ReviewApproval>;
  /** Distinct approvers policy will ask for before the task may complete with these values (a corrected category). */
  approversFor(request: ReviewRequest, values: Readonly<Record<string, unknown>> | undefined): number;
  /** Distinct approvers policy asks for before a task of `flow` may complete as `category` (2 for a high-risk intent). */
  approversForCategory(flow: string, category: string): number;
  /** Reads back labels of a flow (mesh.label.<flow>), oldest first. */
  labels(flow: string): Promise<Label[]>;
  /**
   * Review requests' envelopes as a person may see them: personal fields opened when policy allows `data.read` of
   * them on mesh.review.<flow>.requested with the person's roles (audited), sealed otherwise.
   */
  revealForReviewer(envelopes: readonly TaskEnvelope[], reviewer: { readonly id: string; readonly roles: readonly string[] }): Promise<TaskEnvelope[]>;
  /**
   * The bytes of a document a review item's task names, for a person (when the agent declares `documents: true`):
   * data.read on mesh.document.<flow> with the person's roles, audited; refused like ctx.document when missing,
   * oversized or not hashing to the reference's digest.
   */
  documentForReviewer(ref: DocumentRef, task: Pick<TaskEnvelope, "id" | "flow" | "region">, reviewer: { readonly id: string; readonly roles: readonly string[] }): Promise<Uint8Array>;
}

export interface ScopeDeps {
  /** The effect pipeline: policy, obligations, the effect, audit (shared/runtime/effects). */
  readonly perform: Perform;
  readonly bus: Bus;
  readonly agent: { readonly name: string; readonly version: string };
  readonly instance: string;
  readonly log: Logger;
  readonly trace: TraceContext;
  readonly toolTimeoutMs: number;
  readonly models: ModelAccess;
  /** Envelopes already admitted, by id (KV mesh_seen). */
  readonly seen: StateStore;
  /** Opens personal fields for this agent when policy grants data.read on them, in memory only. */
  readonly personal: PersonalData;
  /** The policy revision in force, named in review requests. */
  readonly revision: () => number;
  /** The scope of a delivery: its effects' audit records are awaited together by `auditsStored`, before the ack. */
  readonly delivery?: boolean;
  /** The agent's own state (governed: writes are effects), refusing every call when it declared none. */
  readonly state: StateStore;
  /** The document store, for an agent that declares `documents: true`. */
  readonly documents?: DocumentStore;
}

/** A human decision the runtime verified (signature of a known identity, allowed by policy, naming this envelope). */
export interface VerifiedDecision {
  readonly approved: boolean;
  /** Distinct people who approved, each verified (0 for a rejection). */
  readonly approvals: number;
  /** The category a reviewer set by correcting it, if any. */
  readonly category?: string;
}

/**
 * One delivery's effects. Each is a call into the effect pipeline with an idempotency key
 * `<envelope>:<agent>:<stage>` for publishes; the consume loop acks only after all of it resolved. The facts the
 * policy decides on live here, set by the runtime (a verified review decision, the classifier's label), never
 * by the handler, which only ever sees the AgentContext built over this scope.
 */
export class EffectScope {
  outcome: Outcome = "none";
  /** Model spend of this delivery, for the cost-per-task histogram. */
  costUsd = 0;
  /** Reason code of the escalation, for the escalations metric. */
  escalationCode: string | undefined;
  private human: VerifiedDecision | undefined;
  private classified: string | undefined;
  /** Audit records of this delivery's effects on their way to the stream (each settles to its error, if any). */
  private readonly audits: Promise<unknown>[] = [];
  constructor(private readonly deps: ScopeDeps) {}

  get log(): Logger {
    return this.deps.log;
  }

  get traceparent(): string {
    return formatTraceparent(this.deps.trace);
  }

  get principal(): Principal {
    return { agent: this.deps.agent.name, instance: this.deps.instance };
  }

  get traceId(): string {
    return this.deps.trace.traceId;
  }

  /** Called by the runtime on the resume path, once it verified the review decision. */
  verifiedHuman(decision: VerifiedDecision): void {
    this.human = decision;
  }

  /** The facts about `task` as the runtime knows them in this delivery. */
  facts(task: TaskEnvelope): RuntimeFacts {
    const category = this.human?.category ?? this.classified;
    return {
      task: { ...taskFacts(task), ...(category ? { category } : {}) },
      ...(this.human?.approved ? { approved: true, approvals: this.human.approvals } : {}),
    };
  }

  /** An effect through the pipeline, as this agent, with this delivery's trace. */
  perform<T>(effect: Omit<Effect<T>, "principal" | "traceId" | "auditLater"> & { principal?: Principal }): Promise<T> {
    const later = this.deps.delivery ? { auditLater: (stored: Promise<void>) => void this.audits.push(stored.then(() => undefined, (err: unknown) => err ?? new Error("audit append failed"))) } : {};
    return this.deps.perform({ principal: this.principal, ...effect, traceId: this.deps.trace.traceId, ...later });
  }

  /** Resolves once the audit record of every effect this delivery did is stored; throws the first that was not. */
  async auditsStored(): Promise<void> {
    const failures = (await Promise.all(this.audits)).filter((e) => e !== undefined);
    if (failures.length) throw failures[0];
  }

  /** Publishes `body` as an effect on `subject`, idempotent per (envelope, agent, stage). */
  async publishEffect(
    task: TaskEnvelope,
    action: Action,
    subject: string,
    stage: string,
    body: unknown,
    extra: { principal?: Principal; auditDetail?: Record<string, unknown> } = {},
  ): Promise<Published> {
    const { bus, agent } = this.deps;
    return this.perform({
      action,
      resource: { subject, region: task.region },
      facts: this.facts(task),
      region: task.region,
      ...extra,
      run: () =>
        inSpan(`publish ${stage}`, { "messaging.destination": subject }, () =>
          publish(bus, subject, body, {
            msgId: `${task.id}:${agent.name}:${stage}`,
            // The next hop's parent is this publish span.
            headers: { traceparent: formatTraceparent(currentTrace() ?? this.deps.trace), "Mesh-Agent": agent.name, "Mesh-Envelope": task.id },
          }), "producer"),
      describe: (published) => ({ seq: published.seq, duplicate: published.duplicate }),
    });
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
        const { seq, duplicate } = await this.publishEffect(envelope, "event.emit", subject, "ingested", message);
        // Where the envelope is, not the envelope: `mesh replay` reads it back from the task stream by sequence.
        const record: AdmittedRecord = { id: envelope.id, digest: envelope.digest, stream: streamNames.task, seq, subject, at: new Date().toISOString() };
        await this.perform({
          action: "data.write",
          resource: { subject: subjects.stateKey(buckets.seen, envelope.id), region: envelope.region },
          facts: this.facts(envelope),
          region: envelope.region,
          run: () => this.deps.seen.put(envelope.id, record),
        });
        // The broker found the publish a duplicate inside its window (it answers with the first copy's sequence). The
        // mark is still written: the first publisher may have died before writing it.
        this.outcome = duplicate ? "duplicate" : "admitted";
      },
    };
  }

  taskContext<I>(task: TaskEnvelope, input: I | undefined, attempt: number): AgentContext<I> {
    const { deps } = this;
    const { agent, log } = deps;
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
      complete: async (result) => {
        const message: ResultMessage = {
          envelopeId: task.id,
          source: task.source,
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
        await this.publishEffect(task, "task.complete", subjects.result(task.flow), "result", message);
        this.outcome = "completed";
      },
      escalate: async (req) => {
        const message: ReviewRequest = {
          envelopeId: task.id,
          source: task.source,
          digest: task.digest,
          flow: task.flow,
          envelope: task,
          code: req.code,
          reason: req.reason,
          suggestions: req.suggestions,
          snapshot: req.snapshot,
          ...(req.approvers && req.approvers > 1 ? { approvers: req.approvers } : {}),
          requestedBy: agent,
          requestedAt: new Date().toISOString(),
          policyRevision: this.deps.revision(),
          traceparent: this.traceparent,
        };
        await this.publishEffect(task, "event.emit", subjects.reviewRequested(task.flow), "review", message);
        this.outcome = "escalated";
        this.escalationCode = req.code;
      },
      fail: (code, message) => {
        throw new MeshError(code, message);
      },
      tool: (req) => this.tool(req, this.facts(task), task.region),
      classify: async (classifier, text) => {
        const result = await this.deps.models.classify(this, task, classifier, text);
        this.costUsd += result.costUsd;
        // The category policy decides on is what the runtime's classifier said (a reviewer's correction wins).
        if (result.label !== null) this.classified = result.label;
        return result;
      },
      draft: async (req) => {
        const result = await this.deps.models.draft(this, task, req);
        this.costUsd += result.costUsd;
        return result;
      },
      readFields: async (req) => {
        const result = await this.deps.models.readFields(this, task, req);
        this.costUsd += result.costUsd;
        return result;
      },
      state: deps.state,
      document: (ref) => this.readDocument(ref, task, this.facts(task)),
      handOff: async (flow, event) => {
        await this.publishEffect(task, "event.emit", subjects.inbound(flow), `handoff-${flow}`, event);
      },
    };
  }

  /**
   * A document's bytes as a data.read on mesh.document.<flow> in the task's region, audited; `person` reads through
   * this agent with their roles (the review page), so policy decides on who is looking. What a person sees is the
   * document as printed, its personal fields (an IBAN, a name) unredacted, so that read is of class personal.
   */
  readDocument(ref: DocumentRef, task: Pick<TaskEnvelope, "id" | "flow" | "region">, facts: RuntimeFacts, person?: { readonly id: string; readonly roles: readonly string[] }): Promise<Uint8Array> {
    const store = this.deps.documents;
    if (!store) throw new MeshError("E_CONFIG", `agent ${this.deps.agent.name} reads documents but does not declare it: add \`documents: true\` to its defineAgent`);
    return this.perform({
      action: "data.read",
      ...(person ? { principal: { ...this.principal, roles: person.roles } } : {}),
      resource: { subject: subjects.document(task.flow), region: task.region, ...(person ? { dataClass: personalDataClass } : {}) },
      facts,
      region: task.region,
      auditDetail: { document: ref.name, sha256: ref.sha256, size: ref.size, ...(person ? { person: person.id, envelope: task.id } : {}) },
      run: () => inSpan("document get", { "mesh.document.size": ref.size }, () => store.get(ref.name, ref.sha256, ref.size), "client"),
    });
  }

  /** A tool call with these facts, audited in `region` (the task's, or the process's for a service). */
  tool(req: ToolRequest, facts: RuntimeFacts, region: string): Promise<ToolResponse> {
    const { toolTimeoutMs } = this.deps;
    return this.perform({
      action: "tool.call",
      resource: { url: req.url, ...(req.region ? { region: req.region } : {}), ...(req.endpoint ? { endpoint: req.endpoint } : {}) },
      facts,
      region,
      run: async () => {
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
        const answered = req.answerStatuses?.includes(res.status) ?? false;
        if (!answered && (res.status >= 500 || res.status === 429)) throw new TransientError("E_TOOL", `tool ${req.url} answered ${res.status}`);
        if (!answered && res.status >= 400) throw new MeshError("E_TOOL", `tool ${req.url} answered ${res.status}`);
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: hand the text back as it is
        }
        return { status: res.status, body, headers: Object.fromEntries(res.headers) };
      },
      describe: (response) => ({ status: response.status }),
    });
  }
}
