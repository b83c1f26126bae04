import assert from "node:assert/strict";
import { test } from "node:test";
import { PolicyDeniedError, TransientError } from "../../errors/index.js";
import { countingEffect, policyOf, ticketTask } from "../../../test/helpers/effect-fixtures.js";
import { obligations } from "./obligations.js";
import { pipeline } from "./pipeline.js";
import { policyDecision } from "./policy-decision.js";

const unlimited = { take: async () => ({ allowed: true, remaining: 1, resetAt: 0 }), reserve: async () => ({ allowed: true, remaining: 1, resetAt: 0, settle: async () => {} }) };

const highRisk = policyOf(
  [
    { id: "complete", effect: "permit", actions: ["task.complete"], principals: ["triage"] },
    { id: "refunds-need-a-human", effect: "obligate", actions: ["task.complete"], principals: ["*"], when: { category: ["request_refund"] }, obligations: [{ kind: "require_approval", reason: "refunds need a human" }] },
  ],
);

test("a require_approval obligation refuses an effect whose facts hold no verified approval", async () => {
  const effect = countingEffect({ facts: { task: { ...ticketTask, category: "request_refund" } } });
  await assert.rejects(pipeline(policyDecision(highRisk), obligations(unlimited))(effect), (err: unknown) => err instanceof PolicyDeniedError && err.approvalReason === "refunds need a human");
  assert.equal(effect.runs, 0);
});

test("a require_approval obligation lets the effect run when the runtime verified a human approval", async () => {
  const effect = countingEffect({ facts: { task: { ...ticketTask, category: "request_refund" }, approved: true } });
  await pipeline(policyDecision(highRisk), obligations(unlimited))(effect);
  assert.equal(effect.runs, 1);
});

test("a spent rate limit refuses transiently (the task waits), and the effect does not run", async () => {
  const limited = policyOf([{ id: "replies", effect: "permit", actions: ["task.complete"], principals: ["triage"], obligations: [{ kind: "rate_limit", key: "replies", limit: 1, windowMs: 60_000 }] }]);
  const spent = { ...unlimited, take: async () => ({ allowed: false, remaining: 0, resetAt: Date.now() + 30_000 }) };
  const effect = countingEffect();
  await assert.rejects(pipeline(policyDecision(limited), obligations(spent))(effect), (err: unknown) => err instanceof TransientError && err.code === "E_RATE_LIMITED");
  assert.equal(effect.runs, 0);
});

test("a sliding limit's token is settled with the time the effect ended, whether it returned or threw", async () => {
  const sliding = policyOf([{ id: "posts", effect: "permit", actions: ["task.complete"], principals: ["triage"], obligations: [{ kind: "rate_limit", key: "posts", limit: 5, windowMs: 60_000, window: "sliding" }] }]);
  const settled: (number | null)[] = [];
  const store = { ...unlimited, reserve: async () => ({ allowed: true, remaining: 4, resetAt: 0, settle: async (at: number | null) => void settled.push(at) }) };
  const before = Date.now();
  const effect = countingEffect();
  await pipeline(policyDecision(sliding), obligations(store))(effect);
  assert.equal(effect.runs, 1);
  const failing = { ...countingEffect(), run: async () => Promise.reject(new Error("connection reset")) };
  await assert.rejects(pipeline(policyDecision(sliding), obligations(store))(failing), /connection reset/);
  assert.equal(settled.length, 2);
  assert.ok(settled.every((at) => at !== null && at >= before), `settled at ${settled.join(", ")}`);
});
