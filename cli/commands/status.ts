import { parseStatusRequest, taskStatus } from "../../shared/runtime/task-status.js";
import { connectCli } from "../connect.js";
import { report } from "../report.js";

/**
 * `mesh status <flow> <source-system> <source-id> [--json]`: where the caller's event is, by the name the caller
 * gave it (taskStatus: the same answer the status service gives programs on mesh.status.<flow>).
 */
export async function statusCommand(flow: string, system: string, id: string, opts: { json?: boolean } = {}): Promise<number> {
  // The question is checked before connecting: a bad source ref is the caller's to fix, not the broker's.
  parseStatusRequest({ system, id });
  const bus = await connectCli("status");
  try {
    const answer = await taskStatus(bus, flow, { system, id });
    report(opts, answer, () => formatStatus(flow, answer));
    return 0;
  } finally {
    await bus.close();
  }
}

function formatStatus(flow: string, answer: Awaited<ReturnType<typeof taskStatus>>): string {
  const { envelopeId: task, source, admitted, ...state } = answer;
  const lines = [`${task} (${source.system} ${source.id}) in flow ${flow}: ${state.state}${state.state === "in stage" ? ` ${state.stage}` : ""}`];
  if (admitted) lines.push(`  admitted ${admitted.at} (${admitted.stream} seq ${admitted.seq})`);
  if (state.state === "done") lines.push(`  completed by ${state.agent} at ${state.at}`, `  result: ${JSON.stringify(state.result)}`);
  if (state.state === "dead-lettered") lines.push(`  ${state.code} from ${state.agent}: ${state.reason}`, `  letter: mesh dlq ls --flow ${flow} (seq ${state.letterSeq})`);
  if (state.state === "waiting for review") lines.push(`  since ${state.since}: ${state.code}: ${state.reason}`);
  if (state.state === "review decided") lines.push(`  ${state.decision} at ${state.at}; the escalating agent resumes it`);
  if (state.state === "in stage") lines.push(`  since ${state.since}`);
  return lines.join("\n");
}
