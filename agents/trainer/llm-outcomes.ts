import type { Label } from "../../shared/runtime/index.js";
import type { LlmOutcome } from "../../shared/models/index.js";

/**
 * What reviewers said about large-model answers: one outcome per input (its latest label) whose prediction a
 * large model made with a reported confidence. Kept means right; corrected to another intent means wrong.
 */
export function llmOutcomes(labels: readonly Pick<Label, "inputDigest" | "prediction" | "correction" | "modelVersion" | "tier" | "confidence">[]): LlmOutcome[] {
  const latest = new Map<string, LlmOutcome>();
  for (const l of labels) {
    if (l.tier !== "large" || l.prediction === null || l.modelVersion === null || l.confidence === null || l.confidence === undefined) continue;
    latest.set(l.inputDigest, { model: l.modelVersion, confidence: l.confidence, correct: l.correction === null || l.correction === l.prediction });
  }
  return [...latest.values()];
}
