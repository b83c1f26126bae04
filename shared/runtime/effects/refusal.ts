import type { Decision } from "../../../policy/index.js";
import { RATE_LIMITED } from "../../../policy/rate-limit/index.js";
import { BUDGET_BUSY, BUDGET_UNMETERED } from "../../../policy/budget/index.js";
import { PolicyDeniedError, TransientError, type MeshError } from "../../errors/index.js";

/**
 * The error a denied effect throws. A spent rate limit is not a verdict on the task: it is transient, so the
 * task waits; so does a call whose budget could not be metered (its counters unreachable) or is held by calls in
 * flight. A denial that names a required approval carries its reason, so the agent can ask a human.
 */
export function refusalOf(decision: Decision): MeshError {
  if (decision.reasons[0] === RATE_LIMITED) return new TransientError("E_RATE_LIMITED", decision.message, { reasons: decision.reasons });
  if (decision.reasons[0] === BUDGET_UNMETERED) return new TransientError("E_BUDGET_UNAVAILABLE", decision.message, { reasons: decision.reasons });
  if (decision.reasons[0] === BUDGET_BUSY) return new TransientError("E_BUDGET_BUSY", decision.message, { reasons: decision.reasons });
  const approval = decision.obligations.find((o) => o.kind === "require_approval");
  if (approval?.kind !== "require_approval") return new PolicyDeniedError(decision.message, decision.reasons, decision.revision);
  return new PolicyDeniedError(decision.message, decision.reasons, decision.revision, approval.reason, approval.approvers ?? 1);
}
