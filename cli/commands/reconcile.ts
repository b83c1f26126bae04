import { connectCli } from "../connect.js";
import { report } from "../report.js";
import { reconcileFlow, type Finding } from "../../shared/runtime/task-ledger.js";

/** Exit codes of `mesh reconcile`: a script tells "work lost" from "work done twice" without parsing output. */
export const reconcileExit = { ok: 0, missing: 3, doubled: 4 } as const;

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
    const { admitted, missing, doubled, unreadable } = await reconcileFlow(bus, flow, opts.since ? { since: opts.since } : {});
    const code = doubled.length ? reconcileExit.doubled : missing.length ? reconcileExit.missing : reconcileExit.ok;
    report(opts, { flow, since: opts.since?.toISOString() ?? null, admitted, missing, doubled, unreadable }, () => {
      const ref = (f: Finding) => (f.source ? ` (${f.source.system} ${f.source.id})` : "");
      const lines = [`flow ${flow}${opts.since ? ` since ${opts.since.toISOString()}` : ""}: ${admitted} admitted, ${missing.length} missing, ${doubled.length} doubled`];
      for (const f of missing) lines.push(`missing  ${f.envelopeId}${ref(f)}: ${f.detail}`);
      for (const f of doubled) lines.push(`doubled  ${f.envelopeId}${ref(f)}: ${f.outcomes} terminal outcomes: ${f.detail}`);
      if (unreadable.length) lines.push(`unreadable messages (not counted): ${unreadable.join(", ")}`);
      return lines.join("\n");
    });
    return code;
  } finally {
    await bus.close();
  }
}
