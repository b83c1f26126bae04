import { evaluateExtraction, type EvalReport, type SliceReport } from "../../shared/documents/evaluate.js";
import { fieldNames } from "../../shared/documents/fields.js";
import { progress } from "../progress.js";

const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : "-");

function table(report: EvalReport): string {
  const slices: [string, SliceReport][] = [["seen layouts", report.seen], ["held-out layouts", report.heldOut], ["all", report.all]];
  const rows = [
    `invoice extraction on the generated corpus: ${report.all.documents} documents, ${report.layouts} layouts, seed ${report.seed}`,
    `reviews that taught templates: ${report.reviews} (held-out layouts are never reviewed, so no template knows them)`,
    "",
    `${"field".padEnd(16)}${slices.map(([n]) => n.padStart(18)).join("")}`,
    ...fieldNames.map((f) => `${f.padEnd(16)}${slices.map(([, s]) => pct(s.correct[f], s.documents).padStart(18)).join("")}`),
    "",
    `${"straight-through".padEnd(16)}${slices.map(([, s]) => pct(s.straightThrough, s.documents).padStart(18)).join("")}`,
    `${"wrong, completed".padEnd(16)}${slices.map(([, s]) => String(s.wrongAndCompleted).padStart(18)).join("")}`,
    `${"bad sums, done".padEnd(16)}${slices.map(([, s]) => String(s.inconsistentCompleted).padStart(18)).join("")}`,
    "",
    `${"layout".padEnd(16)}${"docs".padStart(6)}${"straight-through".padStart(18)}${"worst field".padStart(18)}`,
    ...Object.entries(report.byLayout).map(
      ([id, s]) => `${(id + (s.heldOut ? " *" : "")).padEnd(16)}${String(s.documents).padStart(6)}${pct(s.straightThrough, s.documents).padStart(18)}${pct(Math.min(...fieldNames.map((f) => s.correct[f])), s.documents).padStart(18)}`,
    ),
    "* held out",
  ];
  return rows.join("\n");
}

/**
 * `mesh eval extract [--documents 600] [--seed 1] [--json]`: generates the seeded corpus (every layout, two vendors
 * each), runs extraction over it in arrival order with reviews teaching templates on the seen layouts, and prints
 * per-field accuracy and the straight-through rate, seen and held-out apart. No broker: reads nothing, takes no effect.
 */
export async function evalExtractCommand(opts: { documents: number; seed: number; json: boolean }): Promise<number> {
  const bar = progress("extracting", opts.documents);
  const report = await evaluateExtraction(opts.seed, opts.documents, () => bar.tick());
  bar.done(`${report.all.documents} documents`);
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
  // A self-contradicting invoice that completed unattended is a defect, whatever the accuracy.
  return report.all.inconsistentCompleted === 0 ? 0 : 1;
}
