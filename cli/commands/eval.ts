import { writeFileSync } from "node:fs";
import { reliabilityPng, runEval } from "../../shared/models/index.js";
import { report } from "../report.js";

/**
 * `mesh eval triage [--data <csv>] [--json] [--plot <file.png>]`: the ticket model's accuracy, coverage and
 * precision at its threshold, per-intent precision and recall, its worst confusions and a reliability diagram
 * (ASCII; with `--plot`, also as a PNG); `--json` for programs. Reads and writes local files only, so it takes
 * no effect and needs no broker.
 */
export function evalCommand(opts: { data?: string; json: boolean; plot?: string }): number {
  const result = runEval(opts.data ? { data: opts.data } : {});
  const { text, ...numbers } = result;
  if (opts.plot) writeFileSync(opts.plot, reliabilityPng(result.report.reliability));
  report(opts, numbers, () => (opts.plot ? `${text}
reliability diagram written to ${opts.plot}` : text));
  return 0;
}
