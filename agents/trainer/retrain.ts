import { gzipSync } from "node:zlib";
import type { Label } from "../../shared/runtime/index.js";
import { hashBucket, isEvalRow, type LabelledText } from "../../shared/datasets/index.js";
import { judgeModel, promotionVerdict, type GateSettings, type GateVerdict } from "./promotion-gate.js";
import { calibrate, trainLocalClassifier, type LocalClassifier } from "../../shared/models/index.js";

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
  const { temperature, threshold } = calibrate(
    calibration.map((r) => probe.logits(r.text)),
    calibration.map((r) => index.get(r.category)!),
    opts.target ?? 0.97,
  );
  return trainLocalClassifier(rows, { name: opts.name, labels }).withCalibration(temperature, threshold);
}

export interface RetrainInput {
  /** Base training rows (BANKING77's training part). */
  readonly base: readonly LabelledText[];
  readonly labels: readonly Pick<Label, "text" | "prediction" | "correction" | "inputDigest">[];
  /** Held-out labelled rows neither model trained on (BANKING77's evaluation fifth); held-out labels join them. */
  readonly holdout: readonly LabelledText[];
  readonly champion: LocalClassifier | null;
  readonly options: TrainOptions;
  readonly gate: GateSettings;
  /** A challenger (for tests: a deliberately bad one) instead of training one from base + labels. */
  readonly challenger?: LocalClassifier;
}

export interface RetrainOutcome {
  readonly challenger: LocalClassifier;
  /** The promotion gate's decision with every figure it decided on (promotion-gate.ts). */
  readonly verdict: GateVerdict;
  readonly trainedOn: { readonly baseRows: number; readonly labelRows: number };
}

export function retrain(input: RetrainInput): RetrainOutcome {
  const { train, holdout: heldLabels } = splitLabels(input.labels, input.options.categories);
  const holdout = [...input.holdout, ...heldLabels];
  const challenger = input.challenger ?? trainChallenger([...input.base, ...train], input.options);
  const intents = Object.keys(input.gate.intentFloors);
  const verdict = promotionVerdict(
    judgeModel(challenger, holdout, intents),
    input.champion ? judgeModel(input.champion, holdout, intents) : null,
    input.gate,
  );
  return { challenger, verdict, trainedOn: { baseRows: input.base.length, labelRows: train.length } };
}

/** The model store holds the artifact as gzipped JSON, the format every agent hot-loads. */
export function artifactBytes(model: LocalClassifier): Uint8Array {
  return gzipSync(JSON.stringify(model.toArtifact()), { level: 9 });
}
