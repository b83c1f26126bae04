import { fileURLToPath } from "node:url";
import { foldOf, loadBanking77, splitBanking77 } from "../datasets/index.js";
import { argmax, extrapolateThreshold, fitTemperature, scoreLogits } from "./calibration.js";
import { defaultSvmWeight, saveLocalClassifier, trainComponents, type LocalClassifier } from "./local-classifier.js";
import { triageArtifactPath, triageModelName } from "./shipped.js";

/**
 * Builds the shipped ticket-intent model from BANKING77 (offline; the artifact is committed).
 *
 * Rows: the held-out fifth (see shared/datasets/split.ts) is never touched here. On the other four fifths,
 * 5-fold cross-fitting gives every row an out-of-fold score from a model that never saw it (trained on four
 * folds), and a second one from a model trained on three folds; the temperature is fitted on the four-fold
 * scores. The shipped model is trained on all five folds, so it is more accurate and more confident than
 * either: the 0.97-precision threshold is extended along the learning curve the two sizes trace
 * (`extrapolateThreshold`) rather than read off the four-fold scores. It carries that temperature and threshold.
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
  const smallerLogits: Float64Array[][] = weights.map(() => []);
  const oofLabels: number[] = [];
  let largerRows = 0;
  let smallerRows = 0;
  for (let f = 0; f < folds; f++) {
    const held = fit.filter((r) => foldOf(r.text, folds) === f);
    // The smaller model leaves out the next fold as well, so every row is scored once at each size.
    const train = fit.filter((r) => foldOf(r.text, folds) !== f);
    const smaller = train.filter((r) => foldOf(r.text, folds) !== (f + 1) % folds);
    for (const [rowsUsed, into] of [
      [train, oofLogits],
      [smaller, smallerLogits],
    ] as const) {
      const parts = trainComponents(rowsUsed, { name: triageModelName, labels: categories });
      weights.forEach((w, i) => {
        const m = parts.combine(w);
        for (const r of held) into[i]!.push(m.logits(r.text));
      });
    }
    largerRows += train.length;
    smallerRows += smaller.length;
    for (const r of held) oofLabels.push(labelIndex.get(r.category)!);
    log(`fold ${f + 1}/${folds}: trained on ${train.length} and ${smaller.length}, scored ${held.length}`);
  }
  const accuracies = oofLogits.map((rows) => rows.filter((z, n) => argmax(z) === oofLabels[n]).length / Math.max(1, rows.length));
  // Coverage at the precision target is what the tier is for, so the weight is chosen by it (estimated for the
  // shipped size, as the threshold is); accuracy is printed beside it.
  const choices = weights.map((_, i) => {
    const temperature = fitTemperature(oofLogits[i]!, oofLabels);
    const choice = extrapolateThreshold(
      { trainedOn: smallerRows / folds, scored: scoreLogits(smallerLogits[i]!, oofLabels, temperature) },
      { trainedOn: largerRows / folds, scored: scoreLogits(oofLogits[i]!, oofLabels, temperature) },
      fit.length,
      opts.target ?? 0.97,
    );
    return { temperature, choice };
  });
  const coverages = choices.map((c) => c.choice.coverage);
  const chosen = coverages.indexOf(Math.max(...coverages));
  log(
    `svm weight: ${weights.map((w, i) => `${w} → accuracy ${accuracies[i]!.toFixed(4)}, coverage ${coverages[i]!.toFixed(4)}`).join("; ")} (out of fold, coverage extended to the full training set); chose ${weights[chosen]}`,
  );
  const { temperature, choice } = choices[chosen]!;
  const threshold = { target: choice.target, value: choice.threshold, coverage: choice.coverage, precision: choice.precision, rows: choice.rows };
  log(`temperature ${temperature.toFixed(3)}; extended to ${fit.length} training rows: ${choice.advice} (threshold ${choice.threshold.toFixed(4)}, ${choice.rows} out-of-fold rows)`);
  const model = trainComponents(fit, { name: triageModelName, labels: categories }).combine(weights[chosen]!);
  return model.withCalibration(temperature, threshold);
}

/** 0 is the regression alone, so the build can only choose the ensemble when it wins out of fold. */
const svmWeightCandidates = [0, 2, defaultSvmWeight, 8];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const model = buildTriageModel({ log: (l) => console.log(l) });
  saveLocalClassifier(model, triageArtifactPath);
  console.log(`wrote ${triageArtifactPath} (version ${model.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
