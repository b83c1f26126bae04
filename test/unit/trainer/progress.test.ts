import assert from "node:assert/strict";
import { test } from "node:test";
import { acquireLock, labelKey, recordLabel, recordTraining, releaseLock } from "../../../agents/trainer/progress.js";
import type { Label } from "../../../shared/runtime/index.js";
import { memoryStateStore } from "../review/memory-state-store.js";

function label(text: string, correction: string | null = "card_arrival"): Label {
  return {
    envelopeId: `env_${"0".repeat(31)}1`,
    inputDigest: `sha256:${Buffer.from(text).toString("hex").padEnd(64, "0").slice(0, 64)}`,
    text,
    prediction: "card_linking",
    correction,
    reviewer: { id: "alice", roles: ["reviewer"] },
    leadTimeMs: 1000,
    policyRevision: 1,
    modelVersion: "v1",
    at: new Date().toISOString(),
  };
}

test("a label counts as new once per input: a redelivery or a relabel replaces it without counting", async () => {
  const state = memoryStateStore();
  const now = new Date();
  assert.equal((await recordLabel(state, label("a"), now)).newLabels, 1);
  assert.equal((await recordLabel(state, label("a"), now)).newLabels, 1);
  assert.equal((await recordLabel(state, label("a", "exchange_rate"), now)).newLabels, 1);
  assert.equal((await recordLabel(state, label("b"), now)).newLabels, 2);
  assert.equal((await state.get<Label>(labelKey(label("a"))))!.value.correction, "exchange_rate");
  assert.deepEqual(await state.keys("label"), [labelKey(label("a")), labelKey(label("b"))].sort());
});

test("concurrent new labels are all counted", async () => {
  const state = memoryStateStore();
  await Promise.all(Array.from({ length: 20 }, (_, i) => recordLabel(state, label(`t${i}`), new Date())));
  assert.equal((await state.get<{ newLabels: number }>("trainer.progress"))!.value.newLabels, 20);
});

test("a training consumes what it saw; labels that arrived meanwhile still count", async () => {
  const state = memoryStateStore();
  for (const t of ["a", "b", "c"]) await recordLabel(state, label(t), new Date());
  await recordLabel(state, label("d"), new Date());
  await recordTraining(state, 3, "promoted", "v2", new Date("2030-01-01T00:00:00Z"));
  const p = (await state.get<{ newLabels: number; lastTrainedAt: string; lastVersion: string }>("trainer.progress"))!.value;
  assert.equal(p.newLabels, 1);
  assert.equal(p.lastTrainedAt, "2030-01-01T00:00:00.000Z");
  assert.equal(p.lastVersion, "v2");
});

test("one training at a time; a lock left by a dead process expires", async () => {
  const state = memoryStateStore();
  const t0 = new Date("2030-01-01T00:00:00Z");
  assert.equal(await acquireLock(state, "a", 60_000, t0), true);
  assert.equal(await acquireLock(state, "b", 60_000, new Date(t0.getTime() + 59_999)), false);
  assert.equal(await acquireLock(state, "b", 60_000, new Date(t0.getTime() + 60_000)), true);
  await releaseLock(state);
  assert.equal(await acquireLock(state, "c", 60_000, t0), true);
});
