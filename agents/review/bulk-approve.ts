import type { ReviewRequest } from "../../shared/runtime/index.js";
import { decisionForm } from "./decision-forms.js";
import type { QueueItem } from "./queue.js";
import { readSuggestions } from "./snapshot.js";

/** How many approvers policy asks before the escalating agent may complete the task with these values. */
export type ApproversFor = (request: ReviewRequest, values: Readonly<Record<string, unknown>> | undefined) => number;

/**
 * Why an item may not be approved together with others, or null when it may: it must be low-risk as policy says
 * (not held for approval, and one approver enough for the suggested value), its flow must approve the model's
 * suggestion without a reason, no approval may be pending on it, and a model must have suggested a value.
 */
export function notBulkApprovable(item: QueueItem, approversFor: ApproversFor): string | null {
  if (item.status === "decided") return "it is decided already";
  if (item.requiresApproval || (item.request.approvers ?? 1) > 1) return "policy holds it for approval (high risk): approve it on its own";
  if ((item.approvals?.length ?? 0) > 0) return "an approval is pending on it";
  const form = decisionForm(item.flow);
  const field = form.fields[0];
  if (!form.approve.needsSuggestion || form.approve.needsReason || !field) return `flow ${item.flow} approves with a reason, one item at a time`;
  const label = readSuggestions(item.request).prediction?.label;
  if (!label) return "no model suggested a value to approve";
  if (approversFor(item.request, { [field.path]: label }) > 1) return `policy holds ${field.path} ${label} for more than one approver (high risk)`;
  return null;
}

/** The value a bulk approval of this item would approve: the model's suggestion. */
export const suggestionOf = (item: QueueItem): string | null => readSuggestions(item.request).prediction?.label ?? null;
