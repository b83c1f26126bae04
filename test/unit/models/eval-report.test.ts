import assert from "node:assert/strict";
import { test } from "node:test";
import { evalReport, renderEvalReport } from "../../../shared/models/eval-report.js";

const rows = [
  { truth: "a", label: "a", confidence: 0.95 },
  { truth: "a", label: "a", confidence: 0.92 },
  { truth: "a", label: "b", confidence: 0.55 },
  { truth: "b", label: "b", confidence: 0.91 },
  { truth: "b", label: "a", confidence: 0.85 },
  { truth: "c", label: "b", confidence: 0.52 },
];

test("per-intent precision and recall count predictions against truths; auto-precision only the rows at or over the threshold", () => {
  const { intents } = evalReport(rows, 0.9);
  const by = Object.fromEntries(intents.map((i) => [i.intent, i]));
  assert.deepEqual(by.a, { intent: "a", support: 3, precision: 2 / 3, recall: 2 / 3, autoPrecision: 1, autoHandled: 2 });
  assert.deepEqual(by.b, { intent: "b", support: 2, precision: 1 / 3, recall: 1 / 2, autoPrecision: 1, autoHandled: 1 });
  assert.deepEqual(by.c, { intent: "c", support: 1, precision: 0, recall: 0, autoPrecision: null, autoHandled: 0 });
});

test("confusions are ranked by count and name the true and the predicted intent", () => {
  const { confusions } = evalReport([...rows, { truth: "c", label: "b", confidence: 0.4 }], 0.9);
  assert.deepEqual(confusions[0], { truth: "c", predicted: "b", count: 2 });
  assert.equal(confusions.length, 3);
});

test("the reliability diagram bins rows by confidence with each bin's accuracy, and the calibration error weighs the gaps by rows", () => {
  const report = evalReport(rows, 0.9, { bins: 2 });
  assert.deepEqual(report.reliability.map((b) => b.rows), [0, 6]);
  assert.equal(report.reliability[1]!.accuracy, 3 / 6);
  const meanConfidence = rows.reduce((s, r) => s + r.confidence, 0) / rows.length;
  assert.ok(Math.abs(report.calibrationError - Math.abs(0.5 - meanConfidence)) < 1e-12);
  const text = renderEvalReport(report);
  assert.match(text, /0\.5–1\.0 #+.*\|.* acc 0\.500 conf 0\.783 \(6\)/);
  assert.match(text, /1  a → b/);
});
