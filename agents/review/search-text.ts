import { redactText, type ReviewRequest } from "../../shared/runtime/index.js";
import { readSuggestions } from "./snapshot.js";

/**
 * What a queue search matches, lower-cased, taken once when an item is queued: the item id, flow, escalation code,
 * the escalation reason (redacted) and the models' suggested label. The task's payload is left out: its personal
 * fields are sealed in the stored item, and a search that needed them would have to open every item.
 */
export function searchableText(request: ReviewRequest): string {
  const { prediction } = readSuggestions(request);
  return [request.envelopeId, request.flow, request.code, redactText(request.reason).text, prediction?.label ?? ""].join("\n").toLowerCase();
}
