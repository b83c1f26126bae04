import assert from "node:assert/strict";
import { test } from "node:test";
import { llmOutcomes } from "../../../agents/trainer/llm-outcomes.js";
import { recalibrateLlm } from "../../../agents/trainer/recalibrate-llm.js";
import { openModelStore } from "../../../shared/bus/index.js";
import { llmCalibrationFromBytes, llmCalibrationModelName } from "../../../shared/models/index.js";
import type { Label } from "../../../shared/runtime/index.js";
import { startNats } from "../../helpers/nats.js";

let n = 0;
/** A reviewer's label on a prediction: kept (right) or corrected (wrong). */
function label(fields: Partial<Label> & { right: boolean }): Label {
  const i = n++;
  const prediction = fields.prediction ?? "card_arrival";
  return {
    envelopeId: `env_${i}`,
    inputDigest: `sha256:${i.toString(16).padStart(64, "0")}`,
    text: `ticket ${i}`,
    prediction,
    correction: fields.right ? null : "lost_or_stolen_card",
    reviewer: { id: "alice", roles: ["reviewer"] },
    leadTimeMs: 1,
    policyRevision: 1,
    modelVersion: "gpt-x",
    tier: "large",
    confidence: 0.9,
    at: new Date(0).toISOString(),
    ...fields,
  };
}

test("outcomes are the large tier's labelled predictions with their reported confidence: a kept answer is right, a corrected one wrong, the latest label of an input counts", () => {
  const relabelled = label({ right: false });
  const got = llmOutcomes([
    label({ right: true, confidence: 0.8 }),
    relabelled,
    { ...relabelled, correction: null },
    label({ right: true, tier: "small", modelVersion: "abc123" }),
    label({ right: true, confidence: null }),
    label({ right: true, tier: undefined }),
  ]);
  assert.deepEqual(got, [
    { model: "gpt-x", confidence: 0.8, correct: true },
    { model: "gpt-x", confidence: 0.9, correct: true },
  ]);
});

test("the trainer stores a changed calibration in the model store (a real broker), with its figures, and does not write an unchanged one again", async (t) => {
  const nats = await startNats(t);
  const store = await openModelStore(await nats.connect("trainer-test"));
  // Too few outcomes to fit and nothing in service: nothing is written.
  assert.equal((await recalibrateLlm(store, [label({ right: true })], 0.97)).changed, false);
  assert.equal(await store.current(llmCalibrationModelName), undefined);

  const labels = [
    ...Array.from({ length: 60 }, (_, i) => label({ right: i % 10 < 7, confidence: 0.9 })),
    ...Array.from({ length: 60 }, () => label({ right: true, confidence: 0.99 })),
  ];
  const first = await recalibrateLlm(store, labels, 0.97);
  assert.equal(first.changed, true);
  const pointer = await store.current(llmCalibrationModelName);
  assert.equal(pointer?.version, first.calibration.version);
  assert.deepEqual(pointer?.meta.models, { "gpt-x": { rows: 120, threshold: 1, coverage: 0.5, precision: 1, blocks: 2 } });
  const stored = llmCalibrationFromBytes((await store.get(llmCalibrationModelName))!);
  assert.equal(stored.version, first.calibration.version);

  const again = await recalibrateLlm(store, labels, 0.97, new Date(1e12));
  assert.deepEqual([again.changed, again.previous], [false, first.calibration.version], "same outcomes, same version, no second write");
  const more = await recalibrateLlm(store, [...labels, ...Array.from({ length: 10 }, () => label({ right: false, confidence: 0.99 }))], 0.97);
  assert.deepEqual([more.changed, more.previous], [true, first.calibration.version]);
});
