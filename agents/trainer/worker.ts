import { Worker } from "node:worker_threads";
import type { Label } from "../../shared/runtime/index.js";
import type { GateSettings, GateVerdict } from "./promotion-gate.js";
import type { RetrainOutcome } from "./retrain.js";

export interface WorkerInput {
  readonly name: string;
  readonly target: number;
  readonly labels: readonly Pick<Label, "text" | "prediction" | "correction" | "inputDigest">[];
  /** The champion's artifact bytes (as stored), or null when there is none. */
  readonly champion: Uint8Array | null;
  readonly gate: GateSettings;
}

export interface WorkerOutput {
  readonly version: string;
  readonly artifact: Uint8Array;
  readonly threshold: number | null;
  readonly verdict: GateVerdict;
  readonly trainedOn: RetrainOutcome["trainedOn"];
}

/**
 * Retrains on BANKING77's training part plus `labels` in a worker thread and judges the challenger against
 * the champion on the held-out fifth (promotion-gate.ts), so the agent keeps answering health checks and heartbeats meanwhile.
 * The worker's entry is a plain-JS bootstrap that registers tsx (Node 20 workers do not inherit `--import tsx`).
 */
export function retrainInWorker(input: WorkerInput): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./train-worker-bootstrap.mjs", import.meta.url), { workerData: input });
    let result: WorkerOutput | undefined;
    worker.once("message", (m: WorkerOutput) => (result = m));
    worker.once("error", reject);
    worker.once("exit", (code) => (result ? resolve(result) : reject(new Error(`training worker exited with code ${code} and no result`))));
  });
}
