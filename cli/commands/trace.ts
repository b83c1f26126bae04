import { readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { connectCli } from "../connect.js";

interface AuditLine {
  readonly at: string;
  readonly agent: string;
  readonly kind: string;
  readonly action: string;
  readonly effect: string;
  readonly outcome?: string;
  readonly subject?: string;
  readonly taskId?: string;
  readonly traceId?: string;
  readonly reasons?: readonly string[];
  readonly detail?: Record<string, unknown>;
  readonly roles?: readonly string[];
}

/**
 * One task's timeline from the audit trail: every hop's policy decision and effect, model calls with
 * their model and version, the reviewer's decision, in time order with offsets from the first record.
 */
export async function taskTimeline(bus: Bus, taskId: string): Promise<AuditLine[]> {
  const records = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOfTask(taskId) })).map(
    (m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as AuditLine,
  );
  return records.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function formatTimeline(taskId: string, lines: readonly AuditLine[]): string {
  if (!lines.length) return `no audit records for ${taskId}; is the id right (env_…)?`;
  const t0 = Date.parse(lines[0]!.at);
  const rows = lines.map((r) => {
    const offset = `+${((Date.parse(r.at) - t0) / 1000).toFixed(3)}s`.padStart(10);
    const d = r.detail ?? {};
    const extra = [
      d.model ? `model=${String(d.model)}${d.modelVersion ? `@${String(d.modelVersion)}` : ""}` : "",
      d.tier ? `tier=${String(d.tier)}` : "",
      d.reviewer ? `reviewer=${String(d.reviewer)}` : "",
      d.decision ? `decision=${String(d.decision)}` : "",
      r.kind === "decision" && r.reasons?.length ? `rules=${r.reasons.join(",")}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    // One record per effect: what became of it (done, refused, failed); older records were a bare decision.
    const what = r.outcome ? `${r.action} ${r.outcome}` : r.kind === "decision" ? `${r.action} → ${r.effect}` : `${r.action} done`;
    return `${offset}  ${r.agent.padEnd(8)} ${what.padEnd(26)} ${(r.subject ?? "").padEnd(32)} ${extra}`;
  });
  const trace = lines.find((l) => l.traceId)?.traceId;
  return [`task ${taskId}${trace ? `  trace ${trace}` : ""}`, ...rows].join("\n");
}

/** `mesh trace <task-id>` */
export async function traceCommand(taskId: string): Promise<number> {
  if (!/^env_[0-9a-f]{32}$/.test(taskId)) {
    process.stderr.write(`"${taskId}" is not a task id; task ids look like env_ followed by 32 hex digits (see mesh tail or the result events)\n`);
    return 2;
  }
  const bus = await connectCli("trace");
  try {
    const lines = await taskTimeline(bus, taskId);
    process.stdout.write(`${formatTimeline(taskId, lines)}\n`);
    return lines.length ? 0 : 1;
  } finally {
    await bus.close();
  }
}
