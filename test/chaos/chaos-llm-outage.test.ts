import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos llm-outage: the LLM failing every request for 5 s, tickets that need it finish after, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "llm-outage", events: 60, rate: 10, downMs: 5_000 });
  assert.ok(Number(report.fault.measures.llmRequestsFailed) > 0, "tickets reached the LLM while it was failing");
});
