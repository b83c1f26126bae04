import { test } from "node:test";
import assert from "node:assert/strict";
import { fitLlmCalibration, type LlmOutcome } from "../../../shared/models/llm-calibration.js";
import { endpoint, router, standIn, task, unsureTicket } from "./fixtures.js";

const outcomes = (model: string, confidence: number, right: number, wrong: number): LlmOutcome[] => [
  ...Array.from({ length: right }, () => ({ model, confidence, correct: true })),
  ...Array.from({ length: wrong }, () => ({ model, confidence, correct: false })),
];
// Reviewers found the stand-in right 70% of the time when it said 0.95, and every time it said 0.99.
const calibration = fitLlmCalibration([...outcomes("stand-in-large", 0.95, 70, 30), ...outcomes("stand-in-large", 0.99, 100, 0)], { target: 0.97 });

test("with a calibration, the large model's reported 0.95 counts as the 0.70 it earned: a human decides, and the reason names the calibration", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] }, undefined, undefined, { llmCalibration: calibration });
  const res = await r.classify("ticket-intent", unsureTicket("card_arrival", 0.95), task());
  assert.equal(res.decision, "escalate");
  assert.equal(res.reasonCode, "low_confidence");
  assert.equal(res.confidence, 0.95, "the result keeps the reported confidence: reviewer outcomes on it refit the calibration");
  assert.match(res.reason ?? "", new RegExp(`stand-in-large 0\\.95 \\(calibrated 0\\.70 by ${calibration.version}\\) < 1\\.00`));
  const sure = await r.classify("ticket-intent", unsureTicket("card_arrival", 0.99), task());
  assert.equal(sure.decision, "accept");
  assert.equal(sure.tier, "large");
});

test("without a calibration the reported 0.95 passes the default 0.8 bar; a hot-swapped calibration changes the verdict at once (no stale cached route)", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] });
  const text = unsureTicket("card_arrival", 0.95);
  assert.equal((await r.classify("ticket-intent", text, task())).decision, "accept");
  r.swapLlmCalibration(calibration);
  assert.equal((await r.classify("ticket-intent", text, task())).decision, "escalate");
});

test("a flow's own large-model bar still wins over the fitted threshold, on the calibrated scale", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)], flows: { ticket: { large: 0.6 } } }, undefined, undefined, { llmCalibration: calibration });
  const res = await r.classify("ticket-intent", unsureTicket("card_arrival", 0.95), task());
  assert.equal(res.decision, "accept", "0.70 calibrated >= the flow's 0.6");
});
