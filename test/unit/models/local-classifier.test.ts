import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { loadBanking77, splitBanking77 } from "../../../shared/datasets/index.js";
import { fromArtifact, loadLocalClassifier, saveLocalClassifier, trainLocalClassifier } from "../../../shared/models/index.js";
import { classifiers } from "./fixtures.js";

const { rows } = loadBanking77();
const { fit, evaluation } = splitBanking77(rows);
const few = ["card_arrival", "exchange_rate", "pin_blocked", "lost_or_stolen_card"];
const small = fit.filter((r) => few.includes(r.category));

test("the evaluation fifth and the training rows never share a text", () => {
  const trained = new Set(fit.map((r) => r.text.trim().toLowerCase()));
  assert.equal(evaluation.filter((r) => trained.has(r.text.trim().toLowerCase())).length, 0);
  assert.ok(evaluation.length > 1900 && evaluation.length < 2100, `about a fifth: ${evaluation.length}`);
});

test("a trained model saved and loaded predicts exactly the same, under the same content version", () => {
  const model = trainLocalClassifier(small, { name: "mini", train: { epochs: 3, learningRate: 0.1, l2: 1e-6, seed: 1 } });
  const dir = mkdtempSync(join(tmpdir(), "mesh-model-"));
  const path = join(dir, "mini.json.gz");
  const calibrated = model.withCalibration(0.8, null);
  saveLocalClassifier(calibrated, path);
  const loaded = loadLocalClassifier(path);
  assert.equal(loaded.version, calibrated.version);
  assert.equal(loaded.temperature, 0.8);
  for (const r of evaluation.filter((x) => few.includes(x.category)).slice(0, 50)) {
    assert.deepEqual(loaded.predict(r.text), calibrated.predict(r.text));
  }
});

test("the version covers everything that changes a decision: weights, temperature and threshold", () => {
  const model = trainLocalClassifier(small, { name: "mini", train: { epochs: 1, learningRate: 0.1, l2: 1e-6, seed: 1 } });
  const threshold = { target: 0.97, value: 0.8, coverage: 0.5, precision: 0.97, rows: 10 };
  const versions = [
    model.version,
    model.withCalibration(0.8, null).version,
    model.withCalibration(0.8, threshold).version,
    model.withCalibration(0.8, { ...threshold, value: 0.81 }).version,
    trainLocalClassifier(small, { name: "mini", train: { epochs: 1, learningRate: 0.1, l2: 1e-6, seed: 1 }, svmWeight: 2 }).version,
  ];
  assert.equal(new Set(versions).size, versions.length, versions.join(" "));
  const art = model.withCalibration(0.8, threshold).toArtifact();
  assert.throws(() => fromArtifact({ ...art, threshold: { ...threshold, value: 0.5 } }), /version: content hashes to/);
});

test("training is deterministic: same rows, same version", () => {
  const opts = { name: "mini", train: { epochs: 2, learningRate: 0.1, l2: 1e-6, seed: 7 } };
  assert.equal(trainLocalClassifier(small, opts).version, trainLocalClassifier(small, opts).version);
});

test("a tampered artifact is refused, naming what is wrong", () => {
  const model = trainLocalClassifier(small, { name: "mini", train: { epochs: 1, learningRate: 0.1, l2: 1e-6, seed: 1 } });
  const art = model.toArtifact();
  assert.throws(() => fromArtifact({ ...art, bias: art.bias.map((b) => b + 1) }), /version: content hashes to/);
  assert.throws(() => fromArtifact({ ...art, temperature: -1 }), /temperature/);
  const dir = mkdtempSync(join(tmpdir(), "mesh-model-"));
  writeFileSync(join(dir, "x.json.gz"), gzipSync(JSON.stringify({ ...art, format: "other" })));
  assert.throws(() => loadLocalClassifier(join(dir, "x.json.gz")), /format/);
});

test("the shipped model carries a threshold calibrated on out-of-fold rows and its probabilities sum to one", () => {
  const m = classifiers["ticket-intent"]!;
  assert.equal(m.labels.length, 77);
  assert.ok(m.threshold && m.threshold.target === 0.97 && m.threshold.rows === fit.length);
  assert.notEqual(m.temperature, 1);
  const p = m.predict("my card has not arrived yet");
  assert.equal(p.label, "card_arrival");
  assert.ok(p.confidence > 0 && p.confidence <= 1);
  const raw = JSON.parse(gunzipSync(readFileSync(new URL("../../../shared/models/artifacts/ticket-intent.json.gz", import.meta.url))).toString());
  assert.equal(raw.version, m.version);
});
