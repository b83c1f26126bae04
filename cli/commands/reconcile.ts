import { buckets, openStateStore, subjects } from "../../shared/bus/index.js";
import { admittedRecordSchema } from "../../shared/runtime/messages.js";
import { connectCli } from "../connect.js";
import { readFlowLedger, terminalOutcomes, type TaskTrail } from "../task-ledger.js";

/** Exit codes of `mesh reconcile`: a script tells "work lost" from "work done twice" without parsing output. */
export const reconcileExit = { ok: 0, missing: 3, doubled: 4 } as const;

interface Finding {
  readonly envelopeId: string;
  readonly source: TaskTrail["source"];
  readonly outcomes: number;
  readonly detail: string;
}

/**
 * `mesh reconcile <flow> [--since <iso time>] [--json]`: every admitted input of the flow (an `ingested` message on
 * the task stream, or a mark in KV mesh_seen the stream no longer shows) must have exactly one terminal outcome: a
 * result, a dead letter, or a review request still waiting for a human (a decided one ends in the resumed result).
 * Lists the missing and the doubled by envelope id and source ref. Exit 4 when any is doubled, else 3 when any is
 * missing, else 0. Tasks still in flight count as missing: run it on an idle flow or with --since before them.
 */
export async function reconcileCommand(flow: string, opts: { since?: Date; json?: boolean } = {}): Promise<number> {
  const bus = await connectCli("reconcile");
  try {
    const { trails, unreadable } = await readFlowLedger(bus, flow, opts.since ? { since: opts.since } : {});
    const ingested = subjects.task(flow, "ingested");
    // A mark without its message: admitted, then lost from the stream (or never stored past the mark).
    const marks = (await (await openStateStore(bus, buckets.seen)).values())
      .map((e) => admittedRecordSchema.safeParse(e.value))
      .flatMap((r) => (r.success && r.data.subject === ingested && (!opts.since || Date.parse(r.data.at) >= opts.since.getTime()) ? [r.data] : []));
    const missing: Finding[] = [];
    const doubled: Finding[] = [];
    let admitted = 0;
    for (const mark of marks) {
      if (trails.get(mark.id)?.admitted) continue;
      admitted++;
      missing.push({ envelopeId: mark.id, source: trails.get(mark.id)?.source, outcomes: 0, detail: `marked admitted at ${mark.at} (task stream seq ${mark.seq}) but the stream has no ingested message` });
    }
    for (const t of trails.values()) {
      if (!t.admitted) continue;
      admitted++;
      const n = terminalOutcomes(t);
      const parts = `${t.results.length} result(s), ${t.letters.length} dead letter(s), ${t.reviewRequests.length} review request(s), ${t.reviewDecisions.length} decision(s)`;
      if (n === 0) missing.push({ envelopeId: t.id, source: t.source, outcomes: 0, detail: `no outcome; last stage ${t.stages.at(-1)?.stage ?? "?"}` });
      else if (n > 1) doubled.push({ envelopeId: t.id, source: t.source, outcomes: n, detail: parts });
    }
    const code = doubled.length ? reconcileExit.doubled : missing.length ? reconcileExit.missing : reconcileExit.ok;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ flow, since: opts.since?.toISOString() ?? null, admitted, missing, doubled, unreadable })}\n`);
      return code;
    }
    const ref = (f: Finding) => (f.source ? ` (${f.source.system} ${f.source.id})` : "");
    const lines = [`flow ${flow}${opts.since ? ` since ${opts.since.toISOString()}` : ""}: ${admitted} admitted, ${missing.length} missing, ${doubled.length} doubled`];
    for (const f of missing) lines.push(`missing  ${f.envelopeId}${ref(f)}: ${f.detail}`);
    for (const f of doubled) lines.push(`doubled  ${f.envelopeId}${ref(f)}: ${f.outcomes} terminal outcomes: ${f.detail}`);
    if (unreadable.length) lines.push(`unreadable messages (not counted): ${unreadable.join(", ")}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return code;
  } finally {
    await bus.close();
  }
}
