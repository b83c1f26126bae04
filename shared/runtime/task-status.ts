import { buckets, openStateStore, type Bus } from "../bus/index.js";
import { envelopeId, inboundEventSchema } from "../envelope/index.js";
import { describeIssues, SchemaError } from "../errors/index.js";
import { admittedRecordSchema } from "./messages.js";
import { readFlowLedger, taskState, type LedgerReadOptions, type TaskState } from "./task-ledger.js";

/** Outcomes follow admission; this margin covers the clock of the agent that wrote the mark against the broker's. */
const clockSlackMs = 5 * 60_000;

/** A status question is the caller's own name for its event (`source` as it sent it); refused naming the field. */
export function parseStatusRequest(request: unknown): { readonly system: string; readonly id: string } {
  const ref = inboundEventSchema.shape.source.safeParse(request);
  if (!ref.success) throw new SchemaError(`source.${describeIssues(ref.error.issues)}`);
  return ref.data;
}

export type TaskStatus = {
  readonly envelopeId: string;
  readonly source: { readonly system: string; readonly id: string };
  readonly flow: string;
  readonly admitted: { readonly at: string; readonly stream: string; readonly seq: number } | null;
} & TaskState;

/**
 * Where the caller's event is, by the name the caller gave it: the answer of `mesh status` and of the status service
 * (`mesh.status.<flow>`). The envelope id is derived exactly as ingest derives it; KV mesh_seen says whether (and
 * when) it was admitted, and the flow's streams say what happened since.
 */
export async function taskStatus(bus: Bus, flow: string, request: unknown, opts: Pick<LedgerReadOptions, "asAgent"> = {}): Promise<TaskStatus> {
  const source = parseStatusRequest(request);
  const task = envelopeId(source);
  const seen = await (await openStateStore(bus, buckets.seen)).get(task);
  const admitted = seen ? admittedRecordSchema.parse(seen.value) : undefined;
  // Not admitted: a refusal at ingest may be anywhere in the DLQ, so the whole flow is read.
  const since = admitted ? new Date(Date.parse(admitted.at) - clockSlackMs) : undefined;
  const ledger = await readFlowLedger(bus, flow, { ...opts, ...(since ? { since } : {}) });
  const state = taskState(ledger.trails.get(task));
  return { envelopeId: task, source, flow, admitted: admitted ? { at: admitted.at, stream: admitted.stream, seq: admitted.seq } : null, ...state };
}
