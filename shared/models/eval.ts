import { readFileSync } from "node:fs";
import { loadBanking77, parseLabelledCsv, splitBanking77, type LabelledText } from "../datasets/index.js";
import { lowCoverageLine, scoreAt } from "./calibration.js";
import { evalReport, renderEvalReport, type EvalReport } from "./eval-report.js";
import { loadLocalClassifier, type LocalClassifier } from "./local-classifier.js";
import { triageArtifactPath } from "./shipped.js";

export interface EvalOptions {
  /** A `text,category` CSV; default: the held-out fifth of BANKING77 the shipped model never trained on. */
  readonly data?: string;
  /** Override the threshold the artifact carries (it was chosen on calibration rows, not on these). */
  readonly threshold?: number;
  readonly artifact?: string;
  readonly model?: LocalClassifier;
}

export interface EvalResult {
  readonly model: string;
  readonly modelVersion: string;
  readonly data: string;
  readonly rows: number;
  readonly accuracy: number;
  readonly coverage: number;
  readonly precision: number;
  readonly threshold: number;
  readonly thresholdSource: string;
  readonly target: number | null;
  /** Rows whose category the model does not know (counted as wrong). */
  readonly unknownLabels: number;
  readonly lowCoverage: boolean;
  /** Per-intent precision and recall, worst confusions, reliability diagram. */
  readonly report: EvalReport;
  readonly text: string;
}

/**
 * Evaluates the shipped small model: accuracy over all rows, coverage/precision of the rows it would
 * auto-handle at its calibrated threshold, and where it errs (eval-report.ts). Backs `mesh eval`.
 */
export function runEval(opts: EvalOptions = {}): EvalResult {
  const model = opts.model ?? loadLocalClassifier(opts.artifact ?? triageArtifactPath);
  const rows: LabelledText[] = opts.data
    ? parseLabelledCsv(readFileSync(opts.data, "utf8"))
    : splitBanking77(loadBanking77().rows).evaluation;
  const dataName = opts.data ?? "banking77 held-out fifth (hash split, never trained or calibrated on)";
  const known = new Set(model.labels);
  const judged = rows.map((r) => {
    const p = model.predict(r.text);
    return { truth: r.category, label: p.label, confidence: p.confidence };
  });
  const scored = judged.map((j) => ({ confidence: j.confidence, correct: j.label === j.truth }));
  const threshold = opts.threshold ?? model.threshold?.value ?? 1.0001;
  const thresholdSource =
    opts.threshold !== undefined
      ? "given"
      : model.threshold
        ? `calibrated on ${model.threshold.rows} out-of-fold training rows for ${model.threshold.target} precision`
        : "none (artifact carries no threshold)";
  const s = scoreAt(scored, threshold);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lowCoverage = s.coverage < lowCoverageLine;
  const lines = [
    `model      ${model.name}@${model.version}`,
    `data       ${dataName} (${rows.length} rows)`,
    `accuracy   ${s.accuracy.toFixed(4)} (${pct(s.accuracy)})`,
    `threshold  ${threshold.toFixed(4)} — ${thresholdSource}`,
    `coverage   ${s.coverage.toFixed(4)} (${pct(s.coverage)} auto-handled)`,
    `precision  ${s.precision.toFixed(4)} (${pct(s.precision)} of the auto-handled are right)`,
  ];
  const unknownLabels = rows.filter((r) => !known.has(r.category)).length;
  if (unknownLabels) lines.push(`warning    ${unknownLabels} rows have a category the model does not know`);
  if (lowCoverage)
    lines.push(`advice     coverage under ${pct(lowCoverageLine)}: improve extraction (cleaner inputs, better labels) before tuning the model`);
  const report = evalReport(judged, threshold);
  lines.push(renderEvalReport(report));
  return {
    model: model.name,
    modelVersion: model.version,
    data: dataName,
    rows: rows.length,
    accuracy: s.accuracy,
    coverage: s.coverage,
    precision: s.precision,
    threshold,
    thresholdSource,
    target: model.threshold?.target ?? null,
    unknownLabels,
    lowCoverage,
    report,
    text: lines.join("\n"),
  };
}
