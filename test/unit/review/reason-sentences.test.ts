import assert from "node:assert/strict";
import { test } from "node:test";
import { reasonSentences } from "../../../agents/review/reason-sentences.js";

test("a policy refusal reads as sentences: the obligation, the rule, and each condition in words", () => {
  const reason =
    'high-risk category needs two approvers: triage may not task.complete on "mesh.result.ticket": rule "high-risk-needs-approval" forbids it — a high-risk category cannot complete without two distinct approvers (category "request_refund" in [@high_risk]; unless [approvals is 0 (want at least 2)])';
  assert.deepEqual(reasonSentences(reason), [
    "High-risk category needs two approvers.",
    "Policy rule high-risk-needs-approval: a high-risk category cannot complete without two distinct approvers.",
    "The category request_refund is on the high_risk list.",
    "It needs 2 distinct approvers and has 0.",
  ]);
});

test("an agent's reasons joined by semicolons become one sentence each; plain text stays as it is", () => {
  assert.deepEqual(reasonSentences("amount 120 differs from PO amount 100 by 20, more than 1 allowed; invoice in USD, PO in EUR"), [
    "Amount 120 differs from PO amount 100 by 20, more than 1 allowed.",
    "Invoice in USD, PO in EUR.",
  ]);
  assert.deepEqual(reasonSentences("no model was confident about the intent"), ["No model was confident about the intent."]);
});
