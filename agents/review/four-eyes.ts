import type { ReviewApproval } from "../../shared/runtime/index.js";
import { ReviewError } from "./errors.js";
import type { QueueItem } from "./queue.js";
import type { Reviewer } from "./settings.js";

type Values = Readonly<Record<string, unknown>>;

/** Where an approval leaves an item: how many distinct approvers it needs, and those that count for these values. */
export interface ApprovalStep {
  readonly needed: number;
  /** Earlier approvals of exactly these values; a correction to other values starts the count again. */
  readonly kept: readonly ReviewApproval[];
  /** A chain that began with a correction stays a correction: the task resumes with corrected values. */
  readonly decision: "approve" | "correct";
  readonly values: Values | undefined;
}

const sameValues = (a: Values | undefined, b: Values | undefined) => {
  const x = a ?? {};
  const y = b ?? {};
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
};

/**
 * Distinct approvers an item needs: one, or what policy asked for (four-eyes: 2) on an item held for approval.
 * A correction there always needs a second person, since nobody approves their own correction.
 */
export function approversNeeded(item: QueueItem, decision: "approve" | "correct"): number {
  if (!item.requiresApproval) return 1;
  return Math.max(item.request.approvers ?? 1, decision === "correct" ? 2 : 1);
}

/**
 * The approval `reviewer` is about to give: an approval takes the values already pending; a reviewer counts once.
 * `policyNeeds` says how many approvers policy will ask for the values (a correction to a high-risk category).
 */
export function approvalStep(
  item: QueueItem,
  reviewer: Reviewer,
  decision: "approve" | "correct",
  values: Values | undefined,
  policyNeeds: (values: Values | undefined) => number,
): ApprovalStep {
  const prior = item.approvals ?? [];
  const pending = prior[0];
  const step =
    decision === "approve" && pending
      ? { kept: prior, decision: prior.some((a) => a.decision === "correct") ? ("correct" as const) : ("approve" as const), values: pending.corrections }
      : { kept: prior.filter((a) => sameValues(a.corrections, values)), decision, values };
  const own = step.kept.find((a) => a.reviewer.id === reviewer.id);
  if (own)
    throw new ReviewError(
      "E_FORBIDDEN",
      own.decision === "correct"
        ? `${reviewer.id} may not approve their own correction: another approver must`
        : `${reviewer.id} already approved item ${item.id}: another approver must`,
    );
  return { ...step, needed: Math.max(approversNeeded(item, step.decision), policyNeeds(step.values)) };
}
