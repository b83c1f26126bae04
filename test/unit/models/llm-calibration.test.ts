import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  applyIsotonic,
  fitIsotonic,
  fitLlmCalibration,
  judgeLargeAnswer,
  llmCalibrationBytes,
  llmCalibrationFromBytes,
  type LlmOutcome,
} from "../../../shared/models/llm-calibration.js";

// Confidences from a coarse grid, so ties (an LLM says 0.9 a lot) are common.
const point = fc.record({ confidence: fc.integer({ min: 0, max: 20 }).map((i) => i / 20), correct: fc.boolean() });

test("the isotonic fit is non-decreasing, bounded to [0, 1], keeps ties together and every row, and is right on average", () => {
  fc.assert(
    fc.property(fc.array(point, { maxLength: 200 }), (points) => {
      const blocks = fitIsotonic(points);
      assert.equal(blocks.reduce((n, b) => n + b.rows, 0), points.length);
      for (let i = 0; i < blocks.length; i++) {
        const b = blocks[i]!;
        assert.ok(b.value >= 0 && b.value <= 1 && b.from <= b.to);
        if (i) assert.ok(blocks[i - 1]!.value < b.value && blocks[i - 1]!.to < b.from, "ordered, disjoint, increasing");
      }
      for (const p of points) assert.equal(blocks.filter((b) => p.confidence >= b.from && p.confidence <= b.to).length, 1, `${p.confidence} sits in one block`);
      const right = points.filter((p) => p.correct).length;
      const fitted = blocks.reduce((s, b) => s + b.value * b.rows, 0);
      assert.ok(Math.abs(fitted - right) < 1e-9, "calibrated in the large: the fit's expected right equals the right");
    }),
  );
});

test("the calibrated confidence never decreases as the reported one grows, and stays within [0, 1]", () => {
  fc.assert(
    fc.property(fc.array(point, { minLength: 1, maxLength: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (points, a, b) => {
      const blocks = fitIsotonic(points);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const [ylo, yhi] = [applyIsotonic(blocks, lo), applyIsotonic(blocks, hi)];
      assert.ok(ylo <= yhi + 1e-12, `${lo} → ${ylo} but ${hi} → ${yhi}`);
      assert.ok(ylo >= 0 && yhi <= 1);
    }),
  );
});

test("no outcomes fit nothing: no blocks, no model calibrated, the reported confidence stands", () => {
  assert.deepEqual(fitIsotonic([]), []);
  const c = fitLlmCalibration([], { target: 0.97 });
  assert.deepEqual(c.models, {});
  assert.deepEqual(judgeLargeAnswer(c, "gpt-x", 0.9, { configured: undefined, fallback: 0.8 }), { confidence: 0.9, threshold: 0.8, calibration: null });
});

const outcomes = (model: string, confidence: number, right: number, wrong: number): LlmOutcome[] => [
  ...Array.from({ length: right }, () => ({ model, confidence, correct: true })),
  ...Array.from({ length: wrong }, () => ({ model, confidence, correct: false })),
];

test("per model: an overconfident model's 0.95 means what it earned, and the threshold is chosen for the target precision on the calibrated scale", () => {
  const c = fitLlmCalibration(
    [
      // "boastful" says 0.95 and is right 70% of the time, says 0.99 and is right 99% of the time.
      ...outcomes("boastful", 0.95, 70, 30),
      ...outcomes("boastful", 0.99, 99, 1),
      // "modest" says 0.6 and is right every time.
      ...outcomes("modest", 0.6, 60, 0),
      // "rare" has too few outcomes to fit: its reported confidence stands.
      ...outcomes("rare", 0.9, 5, 5),
    ],
    { target: 0.97, minOutcomes: 50 },
  );
  assert.deepEqual(Object.keys(c.models), ["boastful", "modest"]);
  const boastful = judgeLargeAnswer(c, "boastful", 0.95, { configured: undefined, fallback: 0.8 });
  assert.ok(Math.abs(boastful.confidence - 0.7) < 1e-9);
  assert.ok(Math.abs(boastful.threshold - 0.99) < 1e-9, "only the 0.99 answers reach 0.97 precision");
  assert.equal(c.models.boastful!.coverage, 0.5);
  assert.ok(boastful.confidence < boastful.threshold, "the 0.95 answer goes to a human");
  const modest = judgeLargeAnswer(c, "modest", 0.6, { configured: undefined, fallback: 0.8 });
  assert.equal(modest.confidence, 1);
  assert.ok(modest.confidence >= modest.threshold, "a modest model's right answers are accepted although it reported 0.6");
  assert.equal(judgeLargeAnswer(c, "modest", 0.6, { configured: 1.0001, fallback: 0.8 }).threshold, 1.0001, "a flow's own bar wins");
  assert.deepEqual(judgeLargeAnswer(c, "rare", 0.9, { configured: undefined, fallback: 0.8 }), { confidence: 0.9, threshold: 0.8, calibration: null });
});

test("the version hashes what changes a decision, not when it was fitted; a stored document round-trips and a tampered one is refused", () => {
  const data = [...outcomes("m", 0.9, 90, 10), ...outcomes("m", 0.5, 10, 10)];
  const a = fitLlmCalibration(data, { target: 0.97, fittedAt: new Date(0) });
  const b = fitLlmCalibration(data, { target: 0.97, fittedAt: new Date(1e12) });
  assert.equal(a.version, b.version);
  assert.notEqual(fitLlmCalibration(data, { target: 0.9 }).version, a.version, "another target, another threshold");
  assert.notEqual(fitLlmCalibration([...data, ...outcomes("m", 0.9, 0, 5)], { target: 0.97 }).version, a.version);
  assert.deepEqual(llmCalibrationFromBytes(llmCalibrationBytes(a)), a);
  const tampered = { ...a, models: { m: { ...a.models.m!, threshold: 0 } } };
  assert.throws(() => llmCalibrationFromBytes(llmCalibrationBytes(tampered)), /llm calibration: version: content hashes to [0-9a-f]{12}, document says/);
  const unordered = { ...a, models: { m: { ...a.models.m!, blocks: [...a.models.m!.blocks].reverse() } } };
  assert.throws(() => llmCalibrationFromBytes(llmCalibrationBytes(unordered)), /models\.m\.blocks.*ordered, disjoint and non-decreasing/);
  assert.throws(() => llmCalibrationFromBytes(Buffer.from("{")), /llm calibration: not JSON/);
});

test("hostile outcomes (confidence outside [0, 1], NaN) are left out of the fit instead of bending it", () => {
  const c = fitLlmCalibration([...outcomes("m", 0.9, 60, 0), { model: "m", confidence: Number.NaN, correct: false }, { model: "m", confidence: 7, correct: false }], {
    target: 0.97,
  });
  assert.equal(c.models.m!.rows, 60);
});
