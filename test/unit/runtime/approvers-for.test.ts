import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { approversFor } from "../../../shared/runtime/review-decisions.js";
import { ticketRequest } from "../review/fixtures.js";

test("the mesh policy asks two approvers for a ticket whose intent is high-risk and one for any other, whoever set it", () => {
  const policy = loadPolicyFile(defaultPolicyPath);
  const request = ticketRequest("money back please");
  assert.equal(approversFor(policy, request, { intent: "request_refund" }), 2);
  assert.equal(approversFor(policy, request, { intent: "lost_or_stolen_card" }), 2);
  assert.equal(approversFor(policy, request, { intent: "card_arrival" }), 1);
  assert.equal(approversFor(policy, request, undefined), 1, "no category, nothing to hold");
});
