import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { formatReport } from "../../cli/chaos/report.js";
import { runChaos, type ChaosOptions, type ChaosReport } from "../../cli/chaos/run.js";

/**
 * Runs a `mesh chaos` scenario (the same code the command runs, CI-sized: a short steady workload) with its progress
 * and table in the test's diagnostics, and checks the claim every scenario makes: each stored event has an outcome,
 * reconcile finds nothing missing and nothing doubled.
 */
export async function chaosRun(t: TestContext, opts: ChaosOptions & { events: number }): Promise<ChaosReport> {
  const report = await runChaos({ rate: 30, downMs: 2_000, settleTimeoutMs: 60_000, ...opts, progress: (l) => t.diagnostic(l) });
  for (const line of formatReport([report]).split("\n")) t.diagnostic(line);
  assert.equal(report.notStored, 0, "the broker stored every event the workload sent");
  assert.deepEqual({ lost: report.lost, doubled: report.doubled }, { lost: 0, doubled: 0 }, report.findings.join("\n"));
  assert.equal(report.out, opts.events, "every valid event has an outcome");
  return report;
}
