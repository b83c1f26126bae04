import { fileURLToPath } from "node:url";
import { foldOf, loadBanking77, splitBanking77, type LabelledText } from "../datasets/index.js";
import { argmax, calibrate } from "./calibration.js";
import { defaultSvmWeight, saveLocalClassifier, trainComponents, type LocalClassifier } from "./local-classifier.js";
import { triageArtifactPath, triageModelName } from "./shipped.js";

/**
 * Builds the shipped ticket-intent model from BANKING77 (offline; the artifact is committed).
 *
 * Rows: the held-out fifth (see shared/datasets/split.ts) is never touched here. On the other four fifths,
 * 5-fold cross-fitting gives every row an out-of-fold score from a model that never saw it; the temperature
 * and the 0.97-precision threshold are fitted on those scores. The shipped model is then trained on all
 * four fifths with the same settings and carries that temperature and threshold.
 */
export function buildTriageModel(
  opts: { folds?: number; target?: number; svmWeights?: readonly number[]; log?: (line: string) => void } = {},
): LocalClassifier {
  const folds = opts.folds ?? 5;
  const weights = opts.svmWeights ?? svmWeightCandidates;
  const log = opts.log ?? (() => {});
  const { rows, categories } = loadBanking77();
  const { fit } = splitBanking77(rows);
  const labelIndex = new Map(categories.map((c, i) => [c, i]));
  const oofLogits: Float64Array[][] = weights.map(() => []);
  const oofLabels: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: LabelledText[] = [];
    const held: LabelledText[] = [];
    for (const r of fit) (foldOf(r.text, folds) === f ? held : train).push(r);
    const parts = trainComponents(train, { name: triageModelName, labels: categories });
    weights.forEach((w, i) => {
      const m = parts.combine(w);
      for (const r of held) oofLogits[i]!.push(m.logits(r.text));
    });
    for (const r of held) oofLabels.push(labelIndex.get(r.category)!);
    log(`fold ${f + 1}/${folds}: trained on ${train.length}, scored ${held.length}`);
  }
  const accuracies = oofLogits.map((rows) => rows.filter((z, n) => argmax(z) === oofLabels[n]).length / Math.max(1, rows.length));
  const chosen = accuracies.indexOf(Math.max(...accuracies));
  log(`svm weight: ${weights.map((w, i) => `${w} → ${accuracies[i]!.toFixed(4)}`).join(", ")} (out-of-fold accuracy); chose ${weights[chosen]}`);
  const calibration = calibrate(oofLogits[chosen]!, oofLabels, opts.target ?? 0.97);
  log(`temperature ${calibration.temperature.toFixed(3)}; ${calibration.advice} (threshold ${calibration.threshold.value.toFixed(4)}, ${calibration.threshold.rows} out-of-fold rows)`);
  const model = trainComponents(fit, { name: triageModelName, labels: categories }).combine(weights[chosen]!);
  return model.withCalibration(calibration.temperature, calibration.threshold);
}

/** 0 is the regression alone, so the build can only choose the ensemble when it wins out of fold. */
const svmWeightCandidates = [0, 2, defaultSvmWeight, 8];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const model = buildTriageModel({ log: (l) => console.log(l) });
  saveLocalClassifier(model, triageArtifactPath);
  console.log(`wrote ${triageArtifactPath} (version ${model.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
