import { z } from "zod";
import type { AgentContext, IngestContext, IntakeContext, LabelContext, RawEvent, ServiceContext } from "./context.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { MeshError, describeIssues } from "../errors/index.js";
import type { Label, ReviewDecision, ReviewRequest } from "./messages.js";

/** What every kind of agent may declare besides what it consumes. */
interface AgentBase {
  readonly name: string;
  readonly version: string;
  /** Handlers running at once in one process; replicas multiply it, max_ack_pending bounds it globally. */
  readonly concurrency?: number;
  /** A durable key-value store of its own (JetStream KV `mesh_state_<name>`), shared by its replicas. */
  readonly state?: boolean;
  /** A long-running service in the same process (an HTTP API, a timer); closed on SIGTERM before the bus. */
  serve?(svc: ServiceContext): Promise<{ close(): Promise<void> }>;
}

/** A worker agent: consumes one stage of one flow, acts on the task through ctx. */
export interface TaskAgentDefinition<I = unknown> extends AgentBase {
  readonly consumes: { readonly flow: string; readonly stage: string };
  /** It calls models (ctx.classify, ctx.draft, ctx.readFields): the runtime loads them before /readyz says ready, not on the first task. */
  readonly models?: boolean;
  /** It reads documents by reference (ctx.document): the runtime opens the document store and the broker lets it read it. */
  readonly documents?: boolean;
  handle(task: TaskEnvelope, ctx: AgentContext<I>): Promise<void>;
  /** The handler may hand a task to a human (`ctx.escalate`); such an agent must declare `resume`. */
  readonly escalates?: boolean;
  /** Continues a task it escalated, once a human decided (mesh.review.<flow>.decided). */
  resume?(task: TaskEnvelope, decision: ReviewDecision, ctx: AgentContext<I>): Promise<void>;
}

/** The edge agent: consumes raw events from mesh.in.<flow> (or every flow with "*"). */
export interface IngestAgentDefinition extends AgentBase {
  readonly consumes: { readonly inbound: string };
  handle(event: RawEvent, ctx: IngestContext): Promise<void>;
}

/** Takes in review requests (mesh.review.<flow>.requested) for humans to decide. */
export interface ReviewAgentDefinition extends AgentBase {
  readonly consumes: { readonly reviews: string };
  /** Its service shows reviewers the documents items name (ServiceContext.documentForReviewer): the store is opened and the broker lets it read it. */
  readonly documents?: boolean;
  handle(request: ReviewRequest, ctx: IntakeContext): Promise<void>;
}

/** Learns from reviewer labels (mesh.label.<flow>). */
export interface LabelAgentDefinition extends AgentBase {
  readonly consumes: { readonly labels: string };
  handle(label: Label, ctx: LabelContext): Promise<void>;
}

export type AgentDefinition = TaskAgentDefinition<any> | IngestAgentDefinition | ReviewAgentDefinition | LabelAgentDefinition;

const token = z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only");
const flowOrAll = z.string().regex(/^([A-Za-z0-9_-]+|\*)$/, 'a flow name or "*"');

const definitionSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and - (it names the durable consumer)"),
  version: z.string().regex(/^\d+\.\d+\.\d+/, "must be a semantic version such as 1.2.0"),
  consumes: z.union([
    z.object({ flow: token, stage: token }),
    z.object({ inbound: flowOrAll }),
    z.object({ reviews: flowOrAll }),
    z.object({ labels: flowOrAll }),
  ]),
  concurrency: z.number().int().positive().max(10_000).optional(),
  state: z.boolean().optional(),
  models: z.boolean().optional(),
  documents: z.boolean().optional(),
  handle: z.function(),
  escalates: z.boolean().optional(),
  resume: z.function().optional(),
  serve: z.function().optional(),
});

/** A decided review reaches only the agent's `resume`: without one, an escalated task could never end. */
function escalatesWithoutResume(def: AgentDefinition): boolean {
  return "escalates" in def && def.escalates === true && typeof (def as TaskAgentDefinition).resume !== "function";
}

/**
 * Declares an agent. It names what it consumes; the runtime owns the subscription, delivery, policy,
 * metrics and audit, so the handler reads like a job description.
 * @example
 * export default defineAgent({ name: "invoice", version: "1.0.0", consumes: { flow: "invoice", stage: "ingested" },
 *   async handle(task, ctx) { await ctx.complete({ matched: true }); } });
 */
export function defineAgent<I = unknown>(def: TaskAgentDefinition<I>): TaskAgentDefinition<I>;
export function defineAgent(def: IngestAgentDefinition): IngestAgentDefinition;
export function defineAgent(def: ReviewAgentDefinition): ReviewAgentDefinition;
export function defineAgent(def: LabelAgentDefinition): LabelAgentDefinition;
export function defineAgent(def: AgentDefinition): AgentDefinition {
  const parsed = definitionSchema.safeParse(def);
  if (!parsed.success) throw new MeshError("E_CONFIG", `agent definition: ${describeIssues(parsed.error.issues)}`);
  if (escalatesWithoutResume(def))
    throw new MeshError(
      "E_CONFIG",
      `agent definition: ${def.name} escalates to human review but declares no resume(task, decision, ctx): a decided task would never reach a result; add resume`,
    );
  return def;
}

export type AgentKind = "task" | "ingest" | "review" | "label";

export function agentKind(def: AgentDefinition): AgentKind {
  const c = def.consumes;
  return "inbound" in c ? "ingest" : "reviews" in c ? "review" : "labels" in c ? "label" : "task";
}
