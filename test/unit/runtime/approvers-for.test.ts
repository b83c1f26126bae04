import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { approversFor, approversForCategory } from "../../../shared/runtime/review-decisions.js";
import { ticketRequest } from "../review/fixtures.js";

test("the mesh policy asks two approvers for a ticket whose intent is high-risk and one for any other, whoever set it", () => {
  const policy = loadPolicyFile(defaultPolicyPath);
  const request = ticketRequest("money back please");
  assert.equal(approversFor(policy, request, { intent: "request_refund" }), 2);
  assert.equal(approversFor(policy, request, { intent: "lost_or_stolen_card" }), 2);
  assert.equal(approversFor(policy, request, { intent: "card_arrival" }), 1);
  assert.equal(approversFor(policy, request, undefined), 1, "no category, nothing to hold");
});

test("asked about a category alone (no task), the mesh policy names two approvers for a high-risk intent and one otherwise", () => {
  const policy = loadPolicyFile(defaultPolicyPath);
  assert.equal(approversForCategory(policy, "trainer", "ticket", "compromised_card"), 2);
  assert.equal(approversForCategory(policy, "trainer", "ticket", "card_arrival"), 1);
  assert.equal(approversForCategory(policy, "trainer", "ticket", "no such intent"), 1);
});
