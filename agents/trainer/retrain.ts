import { gzipSync } from "node:zlib";
import type { Label } from "../../shared/runtime/index.js";
import { hashBucket, isEvalRow, type LabelledText } from "../../shared/datasets/index.js";
import { chooseThreshold, fitTemperature, trainLocalClassifier, type LocalClassifier, type Scored } from "../../shared/models/index.js";

/** What a reviewer's label teaches: the corrected intent, or the prediction they approved. */
export function labelRow(label: Pick<Label, "text" | "prediction" | "correction">): LabelledText | null {
  const category = label.correction ?? label.prediction;
  return category ? { text: label.text, category } : null;
}

/**
 * Splits reviewer labels the way the base data is split (the same text hash), so a label is either trained
 * on or held out, never both, and the latest label of an input wins.
 */
export function splitLabels(labels: readonly Pick<Label, "text" | "prediction" | "correction" | "inputDigest">[], categories: readonly string[]) {
  const known = new Set(categories);
  const latest = new Map<string, LabelledText>();
  for (const l of labels) {
    const row = labelRow(l);
    if (row && known.has(row.category)) latest.set(l.inputDigest, row);
  }
  const train: LabelledText[] = [];
  const holdout: LabelledText[] = [];
  for (const row of latest.values()) (isEvalRow(row.text) ? holdout : train).push(row);
  return { train, holdout };
}

export interface Score {
  readonly rows: number;
  readonly accuracy: number;
}

export function score(model: LocalClassifier, rows: readonly LabelledText[]): Score {
  let right = 0;
  for (const r of rows) if (model.predict(r.text).label === r.category) right++;
  return { rows: rows.length, accuracy: rows.length ? right / rows.length : 0 };
}

export interface TrainOptions {
  readonly name: string;
  readonly categories: readonly string[];
  /** Precision the confidence threshold is chosen for (the router auto-accepts above it). */
  readonly target?: number;
}

/**
 * Trains a calibrated challenger: a model on four fifths of the rows gives held-out logits for the fifth, on
 * which the temperature and threshold are fitted; the served model is then trained on all rows.
 * (One calibration fold rather than the shipped model's five: retraining runs in the mesh, not offline.)
 */
export function trainChallenger(rows: readonly LabelledText[], opts: TrainOptions): LocalClassifier {
  const labels = [...opts.categories];
  const index = new Map(labels.map((c, i) => [c, i]));
  const fit: LabelledText[] = [];
  const calibration: LabelledText[] = [];
  // Its own salt: independent of the evaluation split and of any fold the caller chose its rows by.
  for (const r of rows) (hashBucket(r.text, 5, "trainer-calibration-v1") === 0 ? calibration : fit).push(r);
  const probe = trainLocalClassifier(fit, { name: opts.name, labels });
  const logits = calibration.map((r) => probe.logits(r.text));
  const truth = calibration.map((r) => index.get(r.category)!);
  const temperature = fitTemperature(logits, truth);
  const scored: Scored[] = logits.map((z, n) => {
    let best = 0;
    for (let k = 1; k < z.length; k++) if (z[k]! > z[best]!) best = k;
    let sum = 0;
    for (const v of z) sum += Math.exp((v - z[best]!) / temperature);
    return { confidence: 1 / sum, correct: best === truth[n] };
  });
  const choice = chooseThreshold(scored, opts.target ?? 0.97);
  return trainLocalClassifier(rows, { name: opts.name, labels }).withCalibration(temperature, {
    target: choice.target,
    value: choice.threshold,
    coverage: choice.coverage,
    precision: choice.precision,
    rows: choice.rows,
  });
}

export interface RetrainInput {
  /** Base training rows (BANKING77's training part). */
  readonly base: readonly LabelledText[];
  readonly labels: readonly Pick<Label, "text" | "prediction" | "correction" | "inputDigest">[];
  /** Held-out labelled rows neither model trained on (BANKING77's evaluation fifth); held-out labels join them. */
  readonly holdout: readonly LabelledText[];
  readonly champion: LocalClassifier | null;
  readonly options: TrainOptions;
  /** A challenger (for tests: a deliberately bad one) instead of training one from base + labels. */
  readonly challenger?: LocalClassifier;
}

export interface RetrainOutcome {
  readonly challenger: LocalClassifier;
  readonly challengerScore: Score;
  readonly championScore: Score | null;
  /** Promote only when the challenger is not worse than the champion on the same held-out rows. */
  readonly promote: boolean;
  readonly reason: string;
  readonly trainedOn: { readonly baseRows: number; readonly labelRows: number };
}

export function retrain(input: RetrainInput): RetrainOutcome {
  const { train, holdout: heldLabels } = splitLabels(input.labels, input.options.categories);
  const holdout = [...input.holdout, ...heldLabels];
  const challenger = input.challenger ?? trainChallenger([...input.base, ...train], input.options);
  const challengerScore = score(challenger, holdout);
  const championScore = input.champion ? score(input.champion, holdout) : null;
  const pct = (s: Score) => `${(s.accuracy * 100).toFixed(2)}%`;
  const promote = championScore === null || challengerScore.accuracy >= championScore.accuracy;
  const reason =
    championScore === null
      ? `no champion; challenger ${pct(challengerScore)} on ${holdout.length} held-out rows`
      : `challenger ${pct(challengerScore)} vs champion ${pct(championScore)} on ${holdout.length} held-out rows: ${promote ? "not worse, promote" : "worse, keep the champion"}`;
  return { challenger, challengerScore, championScore, promote, reason, trainedOn: { baseRows: input.base.length, labelRows: train.length } };
}

/** The model store holds the artifact as gzipped JSON, the format every agent hot-loads. */
export function artifactBytes(model: LocalClassifier): Uint8Array {
  return gzipSync(JSON.stringify(model.toArtifact()), { level: 9 });
}
