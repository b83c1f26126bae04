import { runEval } from "../../shared/models/index.js";
import { report } from "../report.js";

/**
 * `mesh eval triage [--data <csv>] [--json]`: the ticket model's accuracy, coverage and precision at its threshold,
 * per-intent precision and recall, its worst confusions and a reliability diagram; `--json` for programs.
 * Reads files and prints, so it takes no effect and needs no broker.
 */
export function evalCommand(opts: { data?: string; json: boolean }): number {
  const result = runEval(opts.data ? { data: opts.data } : {});
  const { text, ...numbers } = result;
  report(opts, numbers, () => text);
  return 0;
}
