import { fitLlmCalibration, llmCalibrationBytes, llmCalibrationModelName, type LlmCalibration } from "../../shared/models/index.js";
import type { GovernedModelStore, Label } from "../../shared/runtime/index.js";
import { llmOutcomes } from "./llm-outcomes.js";

/**
 * Refits the large tier's calibration on every reviewer outcome so far and, when the fit changed (its version
 * hashes what changes a decision), stores it through the model store: a policy-checked, audited effect carrying
 * the per-model figures, which agents hot-load into their routers. An unchanged fit is not written again.
 */
export async function recalibrateLlm(
  models: Pick<GovernedModelStore, "current" | "publish">,
  labels: readonly Label[],
  target: number,
  now = new Date(),
): Promise<{ calibration: LlmCalibration; changed: boolean; previous: string | null }> {
  const outcomes = llmOutcomes(labels);
  const calibration = fitLlmCalibration(outcomes, { target, fittedAt: now });
  const previous = (await models.current(llmCalibrationModelName))?.version ?? null;
  // Nothing fitted and nothing in service: writing an empty calibration would change no decision.
  const nothing = !Object.keys(calibration.models).length && previous === null;
  if (nothing || previous === calibration.version) return { calibration, changed: false, previous };
  await models.publish(llmCalibrationModelName, calibration.version, llmCalibrationBytes(calibration), {
    previous,
    outcomes: outcomes.length,
    target,
    models: Object.fromEntries(
      Object.entries(calibration.models).map(([m, f]) => [m, { rows: f.rows, threshold: f.threshold, coverage: f.coverage, precision: f.precision, blocks: f.blocks.length }]),
    ),
  });
  return { calibration, changed: true, previous };
}
