import { buckets, openStateStore } from "../../shared/bus/index.js";
import { envelopeId, inboundEventSchema } from "../../shared/envelope/index.js";
import { describeIssues, SchemaError } from "../../shared/errors/index.js";
import { admittedRecordSchema } from "../../shared/runtime/messages.js";
import { connectCli } from "../connect.js";
import { readFlowLedger, taskState } from "../task-ledger.js";

/** Outcomes follow admission; this margin covers the clock of the agent that wrote the mark against the broker's. */
const clockSlackMs = 5 * 60_000;

/**
 * `mesh status <flow> <source-system> <source-id> [--json]`: where the caller's event is, by the name the caller
 * gave it. The envelope id is derived exactly as ingest derives it; KV mesh_seen says whether (and when) it was
 * admitted, and the flow's streams say what happened since.
 */
export async function statusCommand(flow: string, system: string, id: string, opts: { json?: boolean } = {}): Promise<number> {
  const ref = inboundEventSchema.shape.source.safeParse({ system, id });
  if (!ref.success) throw new SchemaError(`source.${describeIssues(ref.error.issues)}`);
  const source = ref.data;
  const task = envelopeId(source);
  const bus = await connectCli("status");
  try {
    const seen = await (await openStateStore(bus, buckets.seen)).get(task);
    const admitted = seen ? admittedRecordSchema.parse(seen.value) : undefined;
    // Not admitted: a refusal at ingest may be anywhere in the DLQ, so the whole flow is read.
    const since = admitted ? new Date(Date.parse(admitted.at) - clockSlackMs) : undefined;
    const ledger = await readFlowLedger(bus, flow, since ? { since } : {});
    const state = taskState(ledger.trails.get(task));
    const answer = { envelopeId: task, source, flow, admitted: admitted ? { at: admitted.at, stream: admitted.stream, seq: admitted.seq } : null, ...state };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(answer)}\n`);
      return 0;
    }
    const lines = [`${task} (${source.system} ${source.id}) in flow ${flow}: ${state.state}${state.state === "in stage" ? ` ${state.stage}` : ""}`];
    if (admitted) lines.push(`  admitted ${admitted.at} (${admitted.stream} seq ${admitted.seq})`);
    if (state.state === "done") lines.push(`  completed by ${state.agent} at ${state.at}`, `  result: ${JSON.stringify(state.result)}`);
    if (state.state === "dead-lettered") lines.push(`  ${state.code} from ${state.agent}: ${state.reason}`, `  letter: mesh dlq ls --flow ${flow} (seq ${state.letterSeq})`);
    if (state.state === "waiting for review") lines.push(`  since ${state.since}: ${state.code}: ${state.reason}`);
    if (state.state === "review decided") lines.push(`  ${state.decision} at ${state.at}; the escalating agent resumes it`);
    if (state.state === "in stage") lines.push(`  since ${state.since}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } finally {
    await bus.close();
  }
}
