import { fileURLToPath } from "node:url";
import { loadLocalClassifier, type LocalClassifier } from "./local-classifier.js";
import { socialTopicClassifier, socialTopicModelName } from "./social-topic.js";

/** The small models this repository ships: the triage model (built offline by build-triage-model.ts, committed under artifacts/) and the social topic lists. */
export const triageModelName = "ticket-intent";
export const triageArtifactPath = fileURLToPath(new URL("./artifacts/ticket-intent.json.gz", import.meta.url));

export function loadShippedClassifiers(): Record<string, LocalClassifier> {
  return { [triageModelName]: loadLocalClassifier(triageArtifactPath), [socialTopicModelName]: socialTopicClassifier() };
}
