import { formatReport } from "../chaos/report.js";
import { runChaos, type ChaosOptions, type ChaosReport } from "../chaos/run.js";
import { reconcileExit } from "./reconcile.js";
import { reportEach } from "../report.js";

/** Exit code of a run: reconcile's, so a script reads "lost" (3) and "doubled" (4) the same way from both. */
export function chaosExit(reports: readonly ChaosReport[]): number {
  if (reports.some((r) => r.doubled)) return reconcileExit.doubled;
  return reports.some((r) => r.lost) ? reconcileExit.missing : reconcileExit.ok;
}

/**
 * `mesh chaos <scenario...> [--json]`: each scenario in a sandbox mesh of its own, progress on stderr, then one table
 * (or one JSON report per line). Exits 3 when anything was lost, 4 when anything was doubled.
 */
export async function chaosCommand(names: readonly string[], opts: Omit<ChaosOptions, "scenario" | "progress"> & { json?: boolean }): Promise<number> {
  const { json, ...run } = opts;
  const reports: ChaosReport[] = [];
  for (const scenario of names) reports.push(await runChaos({ ...run, scenario, progress: (l) => process.stderr.write(`${l}\n`) }));
  reportEach({ json }, reports, () => formatReport(reports));
  return chaosExit(reports);
}
