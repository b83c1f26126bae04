import { parentPort, workerData } from "node:worker_threads";
import { loadBanking77, splitBanking77 } from "../../shared/datasets/index.js";
import { classifierFromBytes } from "../../shared/models/index.js";
import { artifactBytes, retrain } from "./retrain.js";
import type { WorkerInput, WorkerOutput } from "./worker.js";

/** Runs in a worker thread: training takes seconds of CPU, which the agent's event loop must not spend. */
const input = workerData as WorkerInput;
const { rows, categories } = loadBanking77();
const { fit, evaluation } = splitBanking77(rows);
const outcome = retrain({
  base: fit,
  labels: input.labels,
  holdout: evaluation,
  champion: input.champion ? classifierFromBytes(input.champion) : null,
  options: { name: input.name, categories, target: input.target },
  gate: input.gate,
});
const output: WorkerOutput = {
  version: outcome.challenger.version,
  artifact: artifactBytes(outcome.challenger),
  threshold: outcome.challenger.threshold?.value ?? null,
  verdict: outcome.verdict,
  trainedOn: outcome.trainedOn,
};
parentPort!.postMessage(output);
