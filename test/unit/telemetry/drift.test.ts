import { mulberry32 } from "../../../shared/prng/index.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DriftMonitor,
  PSI_ALERT_THRESHOLD,
  SlidingRatio,
  binIndex,
  createMetrics,
  histogram,
  psi,
} from "../../../shared/telemetry/index.js";

/** Roughly normal via the sum of uniforms, clamped to [lo, hi]. */
function normal(rand: () => number, mean: number, sd: number, lo: number, hi: number): number {
  const z = (rand() + rand() + rand() + rand() + rand() + rand() - 3) / Math.sqrt(0.5);
  return Math.min(hi, Math.max(lo, mean + sd * z));
}

async function gauge(metrics: ReturnType<typeof createMetrics>, name: "mesh_drift_psi" | "mesh_correction_rate") {
  return (await metrics[name].get()).values;
}

test("bins are half-open on the right and the outer bins are open-ended", () => {
  const edges = [1, 2, 3];
  assert.deepEqual([-5, 0.99, 1, 1.5, 2, 3, 99].map((v) => binIndex(edges, v)), [0, 0, 1, 1, 2, 3, 3]);
  assert.deepEqual(histogram(edges, [0, 1, 1, 2.5, 7]), [1, 2, 1, 1]);
});

test("psi of identical distributions is 0 and matches the textbook formula otherwise", () => {
  assert.equal(psi([10, 20, 70], [1, 2, 7]), 0);
  const expected = (0.5 - 0.25) * Math.log(0.5 / 0.25) + (0.5 - 0.75) * Math.log(0.5 / 0.75);
  assert.ok(Math.abs(psi([25, 75], [50, 50]) - expected) < 1e-12);
  assert.throws(() => psi([1, 2], [1, 2, 3]), RangeError);
});

test("a shifted confidence distribution drives mesh_drift_psi over the alert threshold", async () => {
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { referenceSize: 2000, windowSize: 500 });
  const rand = mulberry32(42);
  for (let i = 0; i < 2000; i++) drift.observe("ticket", "confidence", normal(rand, 0.85, 0.07, 0, 1));

  for (let i = 0; i < 500; i++) drift.observe("ticket", "confidence", normal(rand, 0.85, 0.07, 0, 1));
  const stable = drift.psi("ticket", "confidence")!;
  assert.ok(stable < 0.1, `same distribution should stay stable, psi=${stable}`);

  for (let i = 0; i < 500; i++) drift.observe("ticket", "confidence", normal(rand, 0.6, 0.12, 0, 1));
  const shifted = drift.psi("ticket", "confidence")!;
  assert.ok(shifted > PSI_ALERT_THRESHOLD, `shifted distribution should cross 0.25, psi=${shifted}`);

  const [sample] = await gauge(metrics, "mesh_drift_psi");
  assert.deepEqual(sample?.labels, { flow: "ticket", feature: "confidence" });
  assert.equal(sample?.value, shifted);
});

test("longer inputs against a stored reference cross the threshold for input_length", async () => {
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { windowSize: 400 });
  const rand = mulberry32(7);
  drift.setReference("invoice", "input_length", Array.from({ length: 3000 }, () => 100 + rand() * 300));
  for (let i = 0; i < 400; i++) drift.observe("invoice", "input_length", 600 + rand() * 2000);
  assert.ok(drift.psi("invoice", "input_length")! > PSI_ALERT_THRESHOLD);
  assert.ok((await gauge(metrics, "mesh_drift_psi"))[0]!.value > PSI_ALERT_THRESHOLD);
});

test("no psi is published before the current window has its minimum sample", async () => {
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { referenceSize: 10, windowSize: 100, minSamples: 50 });
  for (let i = 0; i < 10; i++) drift.observe("ticket", "confidence", 0.9);
  for (let i = 0; i < 49; i++) drift.observe("ticket", "confidence", 0.1);
  assert.equal(drift.psi("ticket", "confidence"), undefined);
  assert.deepEqual(await gauge(metrics, "mesh_drift_psi"), []);
  drift.observe("ticket", "confidence", 0.1);
  assert.ok(drift.psi("ticket", "confidence")! > PSI_ALERT_THRESHOLD);
});

test("an unknown feature is refused so the feature label stays bounded", () => {
  const drift = new DriftMonitor(createMetrics());
  assert.throws(() => drift.observe("ticket", "customer_id", 1), /unknown feature "customer_id"/);
});

test("correction rate counts only reviews inside the sliding window", async () => {
  let now = 1_000_000;
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { correctionWindowMs: 60_000, now: () => now });
  for (let i = 0; i < 8; i++) drift.recordReview("ticket", i < 6); // 6 of 8 corrected
  assert.equal(drift.correctionRate("ticket"), 0.75);
  now += 61_000; // the old reviews slide out
  drift.recordReview("ticket", false);
  drift.recordReview("ticket", true);
  assert.equal(drift.correctionRate("ticket"), 0.5);
  assert.deepEqual((await gauge(metrics, "mesh_correction_rate"))[0], { value: 0.5, labels: { flow: "ticket" } });
});

test("refresh slides the correction gauge without new reviews and drops a flow whose window emptied", async () => {
  let now = 0;
  const metrics = createMetrics();
  const drift = new DriftMonitor(metrics, { correctionWindowMs: 60_000, now: () => now });
  drift.recordReview("ticket", true);
  now = 30_000;
  drift.recordReview("ticket", false);
  drift.recordReview("invoice", true);
  now = 61_000; // ticket's first review has left the window
  drift.refresh();
  assert.deepEqual(
    (await gauge(metrics, "mesh_correction_rate")).map((v) => [v.labels.flow, v.value]),
    [["ticket", 0], ["invoice", 1]],
  );
  now = 100_000; // nothing left in any window
  drift.refresh();
  assert.deepEqual(await gauge(metrics, "mesh_correction_rate"), []);
});

test("a sliding ratio reports nothing rather than zero when empty", () => {
  let now = 0;
  const ratio = new SlidingRatio(10_000, 10, () => now);
  assert.equal(ratio.read().ratio, undefined);
  ratio.record(true);
  now = 5_000;
  ratio.record(false);
  assert.deepEqual(ratio.read(), { hits: 1, total: 2, ratio: 0.5 });
  now = 10_500; // first slot (0..1s) has left the 10 s window
  assert.deepEqual(ratio.read(), { hits: 0, total: 1, ratio: 0 });
});
