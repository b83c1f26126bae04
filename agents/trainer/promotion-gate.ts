import type { LabelledText } from "../../shared/datasets/index.js";
import type { LocalClassifier } from "../../shared/models/index.js";

/**
 * Whether a challenger may replace the champion. It must (1) auto-handle at least as precisely as the champion
 * (or as the target precision, when the champion overshoots it by covering little) and (2) as much, at their own
 * thresholds, each within a small margin for noise; (3) be better, by a paired
 * McNemar test on the rows one model gets right and the other wrong; and (4) keep every high-risk intent's
 * precision at or above its floor, or, where the champion is already under it, no lower than the champion's —
 * "under" meaning even the upper end of its 95% (Wilson) interval is, since an intent auto-handles a few dozen
 * held-out rows at most and 33 right of 35 is no evidence of missing a 0.97 floor.
 * An aggregate win hides a regression on a rare intent; (4) is what stops that.
 */
export interface GateSettings {
  /** The precision thresholds are chosen for: a champion above it bought that by covering less. */
  readonly targetPrecision: number;
  /** How far under the champion's precision at threshold the challenger's may fall (noise on a finite holdout). */
  readonly precisionMargin: number;
  /** How far under the champion's coverage the challenger's may fall. */
  readonly coverageMargin: number;
  /** One-sided p-value the McNemar test must reach for "better". */
  readonly significance: number;
  /** Intent → lowest precision allowed among the items auto-handled as that intent. */
  readonly intentFloors: Readonly<Record<string, number>>;
}

export interface IntentFigures {
  readonly autoHandled: number;
  readonly right: number;
  /** Right among the auto-handled; 1 when none is auto-handled (every such item goes to a human). */
  readonly precision: number;
}

export interface ModelFigures {
  readonly version: string;
  readonly threshold: number;
  readonly rows: number;
  readonly accuracy: number;
  readonly coverage: number;
  readonly precision: number;
  readonly intents: Readonly<Record<string, IntentFigures>>;
}

export interface GateVerdict {
  readonly promote: boolean;
  /** Each rule that failed, with its figures; empty when promoted. */
  readonly failures: readonly string[];
  readonly reason: string;
  readonly challenger: ModelFigures;
  readonly champion: ModelFigures | null;
  /** Rows only the challenger got right / only the champion got right, and the one-sided exact p-value. */
  readonly mcnemar: { readonly challengerOnly: number; readonly championOnly: number; readonly pValue: number } | null;
}

/** One model's answers on the holdout, kept per row so the two models can be compared pairwise. */
export interface Judged {
  readonly figures: ModelFigures;
  readonly correct: readonly boolean[];
}

export function judgeModel(model: LocalClassifier, rows: readonly LabelledText[], intents: readonly string[]): Judged {
  const threshold = model.threshold?.value ?? 1.0001;
  const perIntent = new Map(intents.map((i) => [i, { autoHandled: 0, right: 0 }]));
  const correct: boolean[] = [];
  let covered = 0;
  let coveredRight = 0;
  for (const r of rows) {
    const p = model.predict(r.text);
    const right = p.label === r.category;
    correct.push(right);
    if (p.confidence < threshold) continue;
    covered++;
    if (right) coveredRight++;
    const intent = perIntent.get(p.label);
    if (intent) {
      intent.autoHandled++;
      if (right) intent.right++;
    }
  }
  const n = Math.max(1, rows.length);
  return {
    correct,
    figures: {
      version: model.version,
      threshold,
      rows: rows.length,
      accuracy: correct.filter(Boolean).length / n,
      coverage: covered / n,
      precision: covered ? coveredRight / covered : 0,
      intents: Object.fromEntries(
        [...perIntent].map(([i, c]) => [i, { autoHandled: c.autoHandled, right: c.right, precision: c.autoHandled ? c.right / c.autoHandled : 1 }]),
      ),
    },
  };
}

/** P(X >= k) for X ~ Binomial(n, 1/2): McNemar's exact one-sided test of "the challenger wins more discordant rows". */
export function binomialUpperTail(k: number, n: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // log C(n, i) built up term by term, summed in log space so n in the thousands neither overflows nor underflows.
  let logC = 0;
  const logTerms: number[] = [];
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) logTerms.push(logC - n * Math.LN2);
  }
  const max = Math.max(...logTerms);
  return Math.min(1, Math.exp(max) * logTerms.reduce((s, t) => s + Math.exp(t - max), 0));
}

const f3 = (x: number) => x.toFixed(3);

/** Upper end of the one-sided 95% Wilson score interval of a proportion `right / n` (1 when n is 0). */
export function wilsonUpper(right: number, n: number, z = 1.645): number {
  if (n === 0) return 1;
  const p = right / n;
  const z2 = z * z;
  return Math.min(1, (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n));
}

export function promotionVerdict(challenger: Judged, champion: Judged | null, s: GateSettings): GateVerdict {
  const c = challenger.figures;
  if (!champion) {
    return { promote: true, failures: [], reason: `no champion; challenger accuracy ${f3(c.accuracy)} on ${c.rows} held-out rows`, challenger: c, champion: null, mcnemar: null };
  }
  const h = champion.figures;
  if (champion.correct.length !== challenger.correct.length) throw new Error("promotion gate: the two models were judged on different rows");
  const failures: string[] = [];
  const precisionBar = Math.min(h.precision, s.targetPrecision);
  if (c.precision < precisionBar - s.precisionMargin)
    failures.push(`precision at threshold ${f3(c.precision)} < ${f3(precisionBar)} (champion ${f3(h.precision)}, target ${s.targetPrecision}) - margin ${s.precisionMargin}`);
  if (c.coverage < h.coverage - s.coverageMargin) failures.push(`coverage ${f3(c.coverage)} < champion ${f3(h.coverage)} - margin ${s.coverageMargin}`);
  let challengerOnly = 0;
  let championOnly = 0;
  challenger.correct.forEach((right, i) => {
    if (right && !champion.correct[i]) challengerOnly++;
    if (!right && champion.correct[i]) championOnly++;
  });
  const pValue = binomialUpperTail(challengerOnly, challengerOnly + championOnly);
  if (!(challengerOnly > championOnly && pValue <= s.significance))
    failures.push(`not significantly better: right where the champion was wrong on ${challengerOnly} rows, wrong where it was right on ${championOnly} (McNemar p=${pValue.toPrecision(3)} > ${s.significance})`);
  for (const [intent, floor] of Object.entries(s.intentFloors)) {
    const mine = c.intents[intent] ?? { autoHandled: 0, right: 0, precision: 1 };
    const theirs = h.intents[intent]?.precision ?? 1;
    const bar = Math.min(floor, theirs);
    const upper = wilsonUpper(mine.right, mine.autoHandled);
    if (upper < bar)
      failures.push(
        `high-risk intent ${intent}: precision ${f3(mine.precision)} on ${mine.autoHandled} auto-handled (95% upper bound ${f3(upper)}) < ${f3(bar)} (floor ${floor}, champion ${f3(theirs)})`,
      );
  }
  const promote = failures.length === 0;
  const head = `challenger accuracy ${f3(c.accuracy)}, coverage ${f3(c.coverage)} at precision ${f3(c.precision)} vs champion ${f3(h.accuracy)}, ${f3(h.coverage)} at ${f3(h.precision)} on ${c.rows} held-out rows`;
  return {
    promote,
    failures,
    reason: promote ? `${head}: better (McNemar p=${pValue.toPrecision(3)}), promote` : `${head}: keep the champion: ${failures.join("; ")}`,
    challenger: c,
    champion: h,
    mcnemar: { challengerOnly, championOnly, pValue },
  };
}
