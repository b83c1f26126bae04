/**
 * Confidence calibration: temperature scaling of logits, and the threshold choice users plan by —
 * the lowest confidence threshold whose auto-handled precision still meets the target, and the coverage it buys.
 */

/** Mean negative log-likelihood of the true labels under softmax(z / temperature). */
function nll(logitRows: readonly Float64Array[], labels: readonly number[], temperature: number): number {
  let total = 0;
  logitRows.forEach((z, n) => {
    let max = -Infinity;
    for (const v of z) if (v > max) max = v;
    let sum = 0;
    for (const v of z) sum += Math.exp((v - max) / temperature);
    total += Math.log(sum) - (z[labels[n]!]! - max) / temperature;
  });
  return total / Math.max(1, logitRows.length);
}

/** Temperature minimising held-out NLL (golden-section search on log T in [1/20, 20]; NLL is unimodal in T). */
export function fitTemperature(logitRows: readonly Float64Array[], labels: readonly number[]): number {
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = nll(logitRows, labels, Math.exp(a));
  let fb = nll(logitRows, labels, Math.exp(b));
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = nll(logitRows, labels, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = nll(logitRows, labels, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

export interface Scored {
  readonly confidence: number;
  readonly correct: boolean;
}

export interface ThresholdChoice {
  /** Auto-handle when confidence >= threshold. 1.0001 (nothing auto-handled) when no threshold meets the target. */
  readonly threshold: number;
  readonly target: number;
  /** Share of items at or above the threshold. */
  readonly coverage: number;
  /** Accuracy among those items. */
  readonly precision: number;
  readonly rows: number;
  readonly meetsTarget: boolean;
  /** Coverage under 60%: automation will not pay; improve the inputs before tuning the model. */
  readonly lowCoverage: boolean;
  readonly advice: string;
}

export const lowCoverageLine = 0.6;

/** Lowest threshold whose precision over the items at or above it is >= target (ties stay together). */
export function chooseThreshold(scored: readonly Scored[], target = 0.97): ThresholdChoice {
  const sorted = [...scored].sort((x, y) => y.confidence - x.confidence);
  let correct = 0;
  let best: { threshold: number; covered: number; correct: number } | null = null;
  for (let i = 0; i < sorted.length; i++) {
    correct += sorted[i]!.correct ? 1 : 0;
    const next = sorted[i + 1];
    if (next && next.confidence === sorted[i]!.confidence) continue;
    if (correct / (i + 1) >= target) best = { threshold: sorted[i]!.confidence, covered: i + 1, correct };
  }
  const rows = scored.length;
  const coverage = best ? best.covered / Math.max(1, rows) : 0;
  const precision = best ? best.correct / best.covered : 0;
  const lowCoverage = coverage < lowCoverageLine;
  return {
    threshold: best ? best.threshold : 1.0001,
    target,
    coverage,
    precision,
    rows,
    meetsTarget: best !== null,
    lowCoverage,
    advice: adviceFor(coverage, target, best !== null),
  };
}

function adviceFor(coverage: number, target: number, met: boolean): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (!met) return `no threshold reaches ${pct(target)} precision: every item goes to the next tier; improve extraction and labels first`;
  if (coverage < lowCoverageLine)
    return `coverage ${pct(coverage)} at ${pct(target)} precision is under ${pct(lowCoverageLine)}: improve extraction (cleaner inputs, better labels) before tuning the model`;
  return `auto-handles ${pct(coverage)} of items at ${pct(target)} precision`;
}

/** Accuracy, coverage and precision of a scored set at a given threshold. */
export function scoreAt(scored: readonly Scored[], threshold: number): { accuracy: number; coverage: number; precision: number } {
  let correct = 0;
  let covered = 0;
  let coveredCorrect = 0;
  for (const s of scored) {
    if (s.correct) correct++;
    if (s.confidence >= threshold) {
      covered++;
      if (s.correct) coveredCorrect++;
    }
  }
  const n = Math.max(1, scored.length);
  return { accuracy: correct / n, coverage: covered / n, precision: covered ? coveredCorrect / covered : 0 };
}

export function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < z.length; k++) if (z[k]! > z[best]!) best = k;
  return best;
}

/** Top-class confidence and correctness of held-out logits under a temperature. */
export function scoreLogits(logitRows: readonly Float64Array[], labels: readonly number[], temperature: number): Scored[] {
  return logitRows.map((z, n) => {
    const best = argmax(z);
    let sum = 0;
    for (const v of z) sum += Math.exp((v - z[best]!) / temperature);
    return { confidence: 1 / sum, correct: best === labels[n] };
  });
}

/**
 * The calibration a classifier ships with, from logits of rows it never trained on: the temperature, and the
 * threshold meeting `target` precision with the coverage it bought there.
 */
export function calibrate(
  logitRows: readonly Float64Array[],
  labels: readonly number[],
  target: number,
): { temperature: number; threshold: { target: number; value: number; coverage: number; precision: number; rows: number }; advice: string } {
  const temperature = fitTemperature(logitRows, labels);
  const choice = chooseThreshold(scoreLogits(logitRows, labels, temperature), target);
  return {
    temperature,
    threshold: { target: choice.target, value: choice.threshold, coverage: choice.coverage, precision: choice.precision, rows: choice.rows },
    advice: choice.advice,
  };
}

/** Out-of-fold scores of models trained on `trainedOn` rows each (the same rows scored at every size). */
export interface ScoresAtSize {
  readonly trainedOn: number;
  readonly scored: readonly Scored[];
}

/**
 * The threshold for a model trained on more rows than any out-of-fold model saw. A model trained on more rows is
 * both more accurate and more confident, so a threshold chosen on out-of-fold scores is off for the shipped
 * model (too strict here: it gave up about 2.8 points of coverage). Out-of-fold scores at two training sizes
 * show how the precision at each coverage, and the confidence at which that coverage starts, move with the
 * training size; both are extended along that learning curve (linear in log rows) to `finalRows`, and the
 * largest coverage whose extended precision meets the target gives the threshold. Only training rows are used.
 */
export function extrapolateThreshold(
  smaller: ScoresAtSize,
  larger: ScoresAtSize,
  finalRows: number,
  target = 0.97,
): ThresholdChoice {
  const rows = larger.scored.length;
  if (smaller.scored.length !== rows) throw new RangeError(`extrapolateThreshold: ${smaller.scored.length} smaller-model scores for ${rows} rows`);
  if (!(smaller.trainedOn < larger.trainedOn && larger.trainedOn <= finalRows))
    throw new RangeError(`extrapolateThreshold: training sizes must grow (${smaller.trainedOn}, ${larger.trainedOn}, ${finalRows})`);
  const step = Math.log(finalRows / larger.trainedOn) / Math.log(larger.trainedOn / smaller.trainedOn);
  const curve = (scored: readonly Scored[]) => {
    const sorted = [...scored].sort((x, y) => y.confidence - x.confidence);
    const precision = new Float64Array(rows);
    let correct = 0;
    sorted.forEach((s, i) => {
      correct += s.correct ? 1 : 0;
      precision[i] = correct / (i + 1);
    });
    return { confidence: sorted.map((s) => s.confidence), precision };
  };
  const s = curve(smaller.scored);
  const l = curve(larger.scored);
  const ahead = (a: number, b: number) => b + step * (b - a);
  let best = -1;
  for (let i = 0; i < rows; i++) if (ahead(s.precision[i]!, l.precision[i]!) >= target) best = i;
  const met = best >= 0;
  const coverage = met ? (best + 1) / rows : 0;
  return {
    threshold: met ? Math.min(1, Math.max(0, ahead(s.confidence[best]!, l.confidence[best]!))) : 1.0001,
    target,
    coverage,
    precision: met ? Math.min(1, ahead(s.precision[best]!, l.precision[best]!)) : 0,
    rows,
    meetsTarget: met,
    lowCoverage: coverage < lowCoverageLine,
    advice: adviceFor(coverage, target, met),
  };
}
