import { z } from "zod";
import type { AgentContext, IngestContext, RawEvent } from "./context.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { MeshError, describeIssues } from "../errors/index.js";

/** A worker agent: consumes one stage of one flow, acts on the task through ctx. */
export interface TaskAgentDefinition<I = unknown> {
  readonly name: string;
  readonly version: string;
  readonly consumes: { readonly flow: string; readonly stage: string };
  /** Handlers running at once in one process; replicas multiply it, max_ack_pending bounds it globally. */
  readonly concurrency?: number;
  handle(task: TaskEnvelope, ctx: AgentContext<I>): Promise<void>;
}

/** The edge agent: consumes raw events from mesh.in.<flow> (or every flow with "*"). */
export interface IngestAgentDefinition {
  readonly name: string;
  readonly version: string;
  readonly consumes: { readonly inbound: string };
  readonly concurrency?: number;
  handle(event: RawEvent, ctx: IngestContext): Promise<void>;
}

export type AgentDefinition = TaskAgentDefinition<any> | IngestAgentDefinition;

const definitionSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and - (it names the durable consumer)"),
  version: z.string().regex(/^\d+\.\d+\.\d+/, "must be a semantic version such as 1.2.0"),
  consumes: z.union([
    z.object({ flow: z.string().regex(/^[A-Za-z0-9_-]+$/), stage: z.string().regex(/^[A-Za-z0-9_-]+$/) }),
    z.object({ inbound: z.string().regex(/^([A-Za-z0-9_-]+|\*)$/) }),
  ]),
  concurrency: z.number().int().positive().max(10_000).optional(),
  handle: z.function(),
});

/**
 * Declares an agent. It names what it consumes; the runtime owns the subscription, delivery, policy,
 * metrics and audit, so the handler reads like a job description.
 * @example
 * export default defineAgent({ name: "invoice", version: "1.0.0", consumes: { flow: "invoice", stage: "ingested" },
 *   async handle(task, ctx) { await ctx.complete({ matched: true }); } });
 */
export function defineAgent<I = unknown>(def: TaskAgentDefinition<I>): TaskAgentDefinition<I>;
export function defineAgent(def: IngestAgentDefinition): IngestAgentDefinition;
export function defineAgent(def: AgentDefinition): AgentDefinition {
  const parsed = definitionSchema.safeParse(def);
  if (!parsed.success) throw new MeshError("E_CONFIG", `agent definition: ${describeIssues(parsed.error.issues)}`);
  return def;
}

export function isIngestAgent(def: AgentDefinition): def is IngestAgentDefinition {
  return "inbound" in def.consumes;
}
