import { report } from "../report.js";
import { readIdentities, subjects, type Bus } from "../../shared/bus/index.js";
import { verifyAuditChain, type KnownIdentity } from "../../policy/audit-chain/index.js";
import { readAuditTrail } from "../../policy/commands/index.js";
import { connectCli } from "../connect.js";
import { trustedIdentities } from "../trusted-identities.js";

interface AuditLine {
  readonly at: string;
  readonly agent: string;
  readonly instance: string;
  /** False when the instance's chain is unsigned, signed by an unknown key, or by another agent's key. */
  readonly verified: boolean;
  /** False for records after the instance's last signed checkpoint: hash-linked, not yet covered by a signature. */
  readonly anchored: boolean;
  readonly seq: number;
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
 * Each record's instance is attributed through its signed opening (on the mesh subjects, with every instance's
 * checkpoints), so a record no registered identity vouches for is marked rather than shown as the agent's.
 */
export async function taskTimeline(bus: Bus, taskId: string, trusted: ReadonlyMap<string, KnownIdentity> = new Map()): Promise<AuditLine[]> {
  const task = await readAuditTrail(bus, { filterSubject: subjects.auditOfTask(taskId) });
  const mesh = await readAuditTrail(bus, { filterSubject: subjects.auditOfMesh() });
  const identities = new Map<string, KnownIdentity>([...(await readIdentities(bus)), ...trusted]);
  // Only attribution matters here: the partial chains' gaps and order are `mesh audit verify`'s to judge.
  const { unverified, unanchored } = verifyAuditChain([...mesh.records, ...task.records], { identities, subjects: [...mesh.subjects, ...task.subjects] });
  const untrusted = new Set(unverified);
  const tailFrom = new Map(unanchored.map((u) => [u.instance, u.fromSeq]));
  return task.records
    .filter((r): r is Omit<AuditLine, "verified" | "anchored"> => typeof r === "object" && r !== null && typeof (r as { at?: unknown }).at === "string")
    .map((r) => ({ ...r, verified: typeof r.instance === "string" && !untrusted.has(r.instance), anchored: r.seq < (tailFrom.get(r.instance) ?? Number.POSITIVE_INFINITY) }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
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
    const who = r.verified ? r.agent.padEnd(8) : `UNVERIFIED (claims ${String(r.agent)}, instance ${String(r.instance)})`;
    return `${offset}  ${who} ${what.padEnd(26)} ${(r.subject ?? "").padEnd(32)} ${extra}${r.verified && !r.anchored ? " [not yet signed]" : ""}`;
  });
  const trace = lines.find((l) => l.traceId)?.traceId;
  const unverified = lines.filter((l) => !l.verified).length;
  const warning = unverified ? [`${unverified} record(s) UNVERIFIED: no registered identity vouches for their instance as the agent they name (see mesh audit verify)`] : [];
  return [`task ${taskId}${trace ? `  trace ${trace}` : ""}`, ...rows, ...warning].join("\n");
}

/** `mesh trace <task-id>` */
export async function traceCommand(taskId: string, opts: { json?: boolean } = {}): Promise<number> {
  if (!/^env_[0-9a-f]{32}$/.test(taskId)) {
    process.stderr.write(`"${taskId}" is not a task id; task ids look like env_ followed by 32 hex digits (see mesh tail or the result events)\n`);
    return 2;
  }
  const bus = await connectCli("trace");
  try {
    const lines = await taskTimeline(bus, taskId, trustedIdentities(undefined));
    report(opts, { taskId, records: lines }, () => formatTimeline(taskId, lines));
    return lines.length ? 0 : 1;
  } finally {
    await bus.close();
  }
}
