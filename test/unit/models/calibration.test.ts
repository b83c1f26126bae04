import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { chooseThreshold, extrapolateThreshold, fitTemperature, scoreAt } from "../../../shared/models/index.js";

const rows = (spec: [number, boolean][]) => spec.map(([confidence, correct]) => ({ confidence, correct }));

test("picks the lowest threshold whose auto-handled precision meets the target, with the coverage it buys", () => {
  // 0.99..0.95 all right, 0.9 wrong, 0.85..0.8 right, 0.7 wrong, 0.6 wrong
  const scored = rows([[0.99, true], [0.98, true], [0.97, true], [0.96, true], [0.95, true], [0.9, false], [0.85, true], [0.8, true], [0.7, false], [0.6, false]]);
  const c = chooseThreshold(scored, 0.85);
  assert.equal(c.threshold, 0.8, "8 items at >= 0.8 hold 7 right: 0.875");
  assert.equal(c.coverage, 0.8);
  assert.equal(c.precision, 7 / 8);
  assert.equal(c.lowCoverage, false);
  const strict = chooseThreshold(scored, 0.97);
  assert.equal(strict.threshold, 0.95);
  assert.equal(strict.coverage, 0.5);
  assert.equal(strict.lowCoverage, true);
  assert.match(strict.advice, /under 60\.0%: improve extraction/);
});

test("tied confidences stay on the same side of the threshold", () => {
  const c = chooseThreshold(rows([[0.9, true], [0.8, true], [0.8, false], [0.7, true]]), 0.9);
  assert.equal(c.threshold, 0.9, "0.8 cannot be split: both or neither");
  assert.equal(c.coverage, 0.25);
});

test("when no threshold reaches the target nothing is auto-handled and the advice says so", () => {
  const c = chooseThreshold(rows([[0.9, false], [0.5, true]]), 0.97);
  assert.equal(c.meetsTarget, false);
  assert.equal(c.coverage, 0);
  assert.ok(c.threshold > 1);
  assert.match(c.advice, /no threshold reaches 97\.0%/);
});

test("scoreAt reports accuracy over all rows and precision over the covered ones", () => {
  const s = scoreAt(rows([[0.9, true], [0.8, false], [0.3, true], [0.2, false]]), 0.5);
  assert.deepEqual(s, { accuracy: 0.5, coverage: 0.5, precision: 0.5 });
});

test("fitTemperature recovers the temperature that generated the labels", () => {
  // Two classes, logit gap g; the true label is class 0 with probability sigmoid(g / 2): a temperature of 2.
  const logitRows: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const g = ((i % 40) - 20) / 4;
    const p0 = 1 / (1 + Math.exp(-g / 2));
    const frac = ((i * 0.6180339887) % 1);
    logitRows.push(Float64Array.from([g, 0]));
    labels.push(frac < p0 ? 0 : 1);
  }
  const t = fitTemperature(logitRows, labels);
  assert.ok(Math.abs(t - 2) < 0.2, `fitted ${t}`);
});

test("extrapolateThreshold extends precision and threshold along the learning curve of two training sizes", () => {
  // Rows ranked alike at both sizes; the larger model errs less low down and is more confident everywhere.
  const n = 100;
  const at = (size: number, wrongFrom: number, shift: number) => ({
    trainedOn: size,
    scored: Array.from({ length: n }, (_, i) => ({ confidence: 1 - i / n + shift, correct: i < wrongFrom || i % 2 === 0 })),
  });
  const smaller = at(400, 60, 0);
  const larger = at(800, 70, 0.05);
  const sameSize = extrapolateThreshold(smaller, larger, 800, 0.9);
  const plain = chooseThreshold(larger.scored, 0.9);
  assert.equal(sameSize.coverage, plain.coverage, "no growth left: the larger model's own choice");
  assert.equal(sameSize.threshold, plain.threshold);
  const grown = extrapolateThreshold(smaller, larger, 1600, 0.9);
  assert.ok(grown.coverage > plain.coverage, `one more doubling covers more (${grown.coverage} > ${plain.coverage})`);
  assert.ok(grown.precision >= 0.9);
  const k = Math.round(grown.coverage * n) - 1;
  assert.ok(Math.abs(grown.threshold - (1 - k / n + 0.1)) < 1e-9, "the confidence at that coverage moved on by the same step");
});

test("extrapolateThreshold refuses sizes that do not grow and score sets of different rows", () => {
  const s = (size: number, len: number) => ({ trainedOn: size, scored: Array.from({ length: len }, () => ({ confidence: 0.9, correct: true })) });
  assert.throws(() => extrapolateThreshold(s(800, 5), s(400, 5), 1600), /training sizes must grow \(800, 400, 1600\)/);
  assert.throws(() => extrapolateThreshold(s(400, 4), s(800, 5), 1600), /4 smaller-model scores for 5 rows/);
});

test("extrapolateThreshold on any scores: a threshold in [0, 1] or none, the target met where it claims, and no growth means the larger model's own choice", () => {
  const scores = fc.array(fc.record({ confidence: fc.double({ min: 0, max: 1, noNaN: true }), correct: fc.boolean() }), { minLength: 1, maxLength: 60 });
  fc.assert(
    fc.property(scores, fc.double({ min: 0.5, max: 1, noNaN: true }), (larger, target) => {
      const smaller = larger.map((s, i) => ({ confidence: s.confidence / 2, correct: i % 3 === 0 ? !s.correct : s.correct }));
      const grown = extrapolateThreshold({ trainedOn: 300, scored: smaller }, { trainedOn: 400, scored: larger }, 500, target);
      if (grown.meetsTarget) {
        assert.ok(grown.threshold >= 0 && grown.threshold <= 1);
        assert.ok(grown.precision >= target && grown.coverage > 0);
      } else assert.equal(grown.coverage, 0);
      const same = extrapolateThreshold({ trainedOn: 300, scored: smaller }, { trainedOn: 400, scored: larger }, 400, target);
      const distinct = new Set(larger.map((s) => s.confidence)).size === larger.length;
      if (distinct) assert.equal(same.coverage, chooseThreshold(larger, target).coverage);
    }),
  );
});
