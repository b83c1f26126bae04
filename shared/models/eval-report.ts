/**
 * Where a classifier errs, from its predictions on labelled rows: precision and recall per intent, the
 * confusions that cost most, and whether its confidence means what it says (a reliability diagram).
 */
export interface Judgement {
  readonly truth: string;
  readonly label: string;
  readonly confidence: number;
}

export interface IntentReport {
  readonly intent: string;
  /** Rows whose true intent this is. */
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  /** Precision among the rows auto-handled as this intent (confidence at or above the threshold); null when none is. */
  readonly autoPrecision: number | null;
  readonly autoHandled: number;
}

export interface Confusion {
  readonly truth: string;
  readonly predicted: string;
  readonly count: number;
}

export interface ReliabilityBin {
  /** Confidence range [from, to). */
  readonly from: number;
  readonly to: number;
  readonly rows: number;
  readonly meanConfidence: number;
  readonly accuracy: number;
}

export interface EvalReport {
  readonly intents: readonly IntentReport[];
  readonly confusions: readonly Confusion[];
  readonly reliability: readonly ReliabilityBin[];
  /** Expected calibration error: the row-weighted gap between confidence and accuracy over the bins. */
  readonly calibrationError: number;
}

export function evalReport(rows: readonly Judgement[], threshold: number, opts: { bins?: number; confusions?: number } = {}): EvalReport {
  const bins = opts.bins ?? 10;
  const stats = new Map<string, { support: number; predicted: number; right: number; auto: number; autoRight: number }>();
  const stat = (intent: string) => {
    let s = stats.get(intent);
    if (!s) stats.set(intent, (s = { support: 0, predicted: 0, right: 0, auto: 0, autoRight: 0 }));
    return s;
  };
  const pairs = new Map<string, Confusion>();
  const binRows = Array.from({ length: bins }, () => ({ rows: 0, confidence: 0, right: 0 }));
  for (const r of rows) {
    const right = r.truth === r.label;
    stat(r.truth).support++;
    const p = stat(r.label);
    p.predicted++;
    if (right) p.right++;
    if (r.confidence >= threshold) {
      p.auto++;
      if (right) p.autoRight++;
    }
    if (!right) {
      const key = `${r.truth}\0${r.label}`;
      pairs.set(key, { truth: r.truth, predicted: r.label, count: (pairs.get(key)?.count ?? 0) + 1 });
    }
    const b = binRows[Math.min(bins - 1, Math.floor(r.confidence * bins))]!;
    b.rows++;
    b.confidence += r.confidence;
    if (right) b.right++;
  }
  const intents = [...stats]
    .map(([intent, s]) => ({
      intent,
      support: s.support,
      precision: s.predicted ? s.right / s.predicted : 0,
      recall: s.support ? s.right / s.support : 0,
      autoPrecision: s.auto ? s.autoRight / s.auto : null,
      autoHandled: s.auto,
    }))
    .sort((a, b) => a.intent.localeCompare(b.intent));
  const confusions = [...pairs.values()]
    .sort((a, b) => b.count - a.count || a.truth.localeCompare(b.truth) || a.predicted.localeCompare(b.predicted))
    .slice(0, opts.confusions ?? 10);
  const reliability = binRows.map((b, i) => ({
    from: i / bins,
    to: (i + 1) / bins,
    rows: b.rows,
    meanConfidence: b.rows ? b.confidence / b.rows : 0,
    accuracy: b.rows ? b.right / b.rows : 0,
  }));
  const total = Math.max(1, rows.length);
  const calibrationError = reliability.reduce((e, b) => e + (b.rows / total) * Math.abs(b.accuracy - b.meanConfidence), 0);
  return { intents, confusions, reliability, calibrationError };
}

/** The report as terminal text: weakest intents first, worst confusions, and the reliability diagram as bars. */
export function renderEvalReport(report: EvalReport, opts: { weakest?: number; width?: number } = {}): string {
  const width = opts.width ?? 40;
  const f3 = (x: number | null) => (x === null ? "  -  " : x.toFixed(3));
  const lines: string[] = [];
  const weakest = [...report.intents].sort((a, b) => Math.min(a.precision, a.recall) - Math.min(b.precision, b.recall)).slice(0, opts.weakest ?? 15);
  lines.push("", `weakest intents (of ${report.intents.length})   precision  recall  auto-precision (auto-handled)  support`);
  for (const i of weakest)
    lines.push(`  ${i.intent.padEnd(44)} ${f3(i.precision)}   ${f3(i.recall)}   ${f3(i.autoPrecision)} (${String(i.autoHandled).padStart(3)})   ${String(i.support).padStart(4)}`);
  lines.push("", "worst confusions (true → predicted)");
  for (const c of report.confusions) lines.push(`  ${String(c.count).padStart(3)}  ${c.truth} → ${c.predicted}`);
  lines.push("", `reliability (confidence bin: accuracy # vs mean confidence |; ECE ${report.calibrationError.toFixed(3)})`);
  for (const b of report.reliability) {
    if (!b.rows) continue;
    const bar = "#".repeat(Math.round(b.accuracy * width)).padEnd(width);
    const mark = Math.min(width - 1, Math.round(b.meanConfidence * width));
    const drawn = `${bar.slice(0, mark)}|${bar.slice(mark + 1)}`;
    lines.push(`  ${b.from.toFixed(1)}–${b.to.toFixed(1)} ${drawn} acc ${b.accuracy.toFixed(3)} conf ${b.meanConfidence.toFixed(3)} (${b.rows})`);
  }
  return lines.join("\n");
}
