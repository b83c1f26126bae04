import { fileURLToPath } from "node:url";
import { loadLocalClassifier, type LocalClassifier } from "./local-classifier.js";

/** The small models this repository ships (built offline by build-triage-model.ts, committed under artifacts/). */
export const triageModelName = "ticket-intent";
export const triageArtifactPath = fileURLToPath(new URL("./artifacts/ticket-intent.json.gz", import.meta.url));

export function loadShippedClassifiers(): Record<string, LocalClassifier> {
  return { [triageModelName]: loadLocalClassifier(triageArtifactPath) };
}
