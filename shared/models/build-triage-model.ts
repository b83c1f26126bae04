import { fileURLToPath } from "node:url";
import { foldOf, loadBanking77, splitBanking77, type LabelledText } from "../datasets/index.js";
import { chooseThreshold, fitTemperature, type Scored } from "./calibration.js";
import { saveLocalClassifier, trainLocalClassifier, type LocalClassifier } from "./local-classifier.js";
import { triageArtifactPath, triageModelName } from "./shipped.js";

/**
 * Builds the shipped ticket-intent model from BANKING77 (offline; the artifact is committed).
 *
 * Rows: the held-out fifth (see shared/datasets/split.ts) is never touched here. On the other four fifths,
 * 5-fold cross-fitting gives every row an out-of-fold score from a model that never saw it; the temperature
 * and the 0.97-precision threshold are fitted on those scores. The shipped model is then trained on all
 * four fifths with the same settings and carries that temperature and threshold.
 */
export function buildTriageModel(opts: { folds?: number; target?: number; log?: (line: string) => void } = {}): LocalClassifier {
  const folds = opts.folds ?? 5;
  const log = opts.log ?? (() => {});
  const { rows, categories } = loadBanking77();
  const { fit } = splitBanking77(rows);
  const labelIndex = new Map(categories.map((c, i) => [c, i]));
  const oofLogits: Float64Array[] = [];
  const oofLabels: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: LabelledText[] = [];
    const held: LabelledText[] = [];
    for (const r of fit) (foldOf(r.text, folds) === f ? held : train).push(r);
    const m = trainLocalClassifier(train, { name: triageModelName, labels: categories });
    for (const r of held) {
      oofLogits.push(m.logits(r.text));
      oofLabels.push(labelIndex.get(r.category)!);
    }
    log(`fold ${f + 1}/${folds}: trained on ${train.length}, scored ${held.length}`);
  }
  const temperature = fitTemperature(oofLogits, oofLabels);
  const scored: Scored[] = oofLogits.map((z, n) => {
    let max = -Infinity;
    let best = 0;
    z.forEach((v, k) => {
      if (v > max) {
        max = v;
        best = k;
      }
    });
    let sum = 0;
    for (const v of z) sum += Math.exp((v - max) / temperature);
    return { confidence: 1 / sum, correct: best === oofLabels[n] };
  });
  const choice = chooseThreshold(scored, opts.target ?? 0.97);
  log(`temperature ${temperature.toFixed(3)}; ${choice.advice} (threshold ${choice.threshold.toFixed(4)}, ${choice.rows} out-of-fold rows)`);
  const model = trainLocalClassifier(fit, { name: triageModelName, labels: categories });
  return model.withCalibration(temperature, {
    target: choice.target,
    value: choice.threshold,
    coverage: choice.coverage,
    precision: choice.precision,
    rows: choice.rows,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const model = buildTriageModel({ log: (l) => console.log(l) });
  saveLocalClassifier(model, triageArtifactPath);
  console.log(`wrote ${triageArtifactPath} (version ${model.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
