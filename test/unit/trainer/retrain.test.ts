import assert from "node:assert/strict";
import { test } from "node:test";
import { createHash } from "node:crypto";
import { labelRow, retrain, splitLabels, trainChallenger, artifactBytes } from "../../../agents/trainer/retrain.js";
import { foldOf, loadBanking77, splitBanking77, type LabelledText } from "../../../shared/datasets/index.js";
import { classifierFromBytes } from "../../../shared/models/index.js";
import { gateSettings, parseTrainerSettings } from "../../../agents/trainer/settings.js";
import { highRiskFloors } from "../../../agents/trainer/intent-floors.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { approversForCategory } from "../../../shared/runtime/review-decisions.js";

const digest = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const { rows, categories } = loadBanking77();
const { fit, evaluation } = splitBanking77(rows);
const options = { name: "ticket-intent", categories };
const policy = loadPolicyFile(defaultPolicyPath);
const gate = gateSettings(
  parseTrainerSettings({}),
  highRiskFloors(categories, (i) => approversForCategory(policy, "trainer", "ticket", i), 0.97),
);

/** Reviewer labels for rows: every third an approval of a right prediction, the rest corrections of a wrong one. */
function reviewed(rowsToLabel: readonly LabelledText[], truth: (r: LabelledText, i: number) => string) {
  return rowsToLabel.map((r, i) => {
    const category = truth(r, i);
    const wrong = categories[(categories.indexOf(category) + 7) % categories.length]!;
    return i % 3 === 0
      ? { text: r.text, inputDigest: digest(r.text), prediction: category, correction: null }
      : { text: r.text, inputDigest: digest(r.text), prediction: wrong, correction: category };
  });
}

test("a label teaches the correction, or the prediction the reviewer approved; a label with neither teaches nothing", () => {
  assert.deepEqual(labelRow({ text: "t", prediction: "a", correction: "b" }), { text: "t", category: "b" });
  assert.deepEqual(labelRow({ text: "t", prediction: "a", correction: null }), { text: "t", category: "a" });
  assert.equal(labelRow({ text: "t", prediction: null, correction: null }), null);
});

test("labels split like the base data, the latest label of an input wins, unknown categories are dropped", () => {
  const held = evaluation[0]!.text;
  const trained = fit[0]!.text;
  const { train, holdout } = splitLabels(
    [
      { text: trained, inputDigest: digest(trained), prediction: "card_arrival", correction: null },
      { text: trained, inputDigest: digest(trained), prediction: "card_arrival", correction: "card_linking" },
      { text: held, inputDigest: digest(held), prediction: "exchange_rate", correction: null },
      { text: "x", inputDigest: digest("x"), prediction: "not_a_category", correction: null },
    ],
    categories,
  );
  assert.deepEqual(train, [{ text: trained, category: "card_linking" }]);
  assert.deepEqual(holdout, [{ text: held, category: "exchange_rate" }]);
});

test("a model trained on a fifth of the data improves on the held-out set when retrained from reviewer labels; a worse challenger is not promoted", (t) => {
  const base = fit.filter((r) => foldOf(r.text, 5) === 0);
  assert.ok(base.length > fit.length / 6 && base.length < fit.length / 4, `a fifth of the training data (${base.length} of ${fit.length})`);
  const champion = trainChallenger(base, options);

  const labelled = fit.filter((r) => foldOf(r.text, 5) === 1 || foldOf(r.text, 5) === 2);
  const good = retrain({ base, labels: reviewed(labelled, (r) => r.category), holdout: evaluation, champion, options, gate });
  assert.equal(good.trainedOn.labelRows, new Set(labelled.map((r) => r.text)).size, "one row per labelled input");
  const { verdict } = good;
  assert.equal(verdict.champion!.rows, evaluation.length);
  assert.ok(
    verdict.challenger.accuracy > verdict.champion!.accuracy + 0.02,
    `retrained ${verdict.challenger.accuracy.toFixed(4)} vs fifth-trained ${verdict.champion!.accuracy.toFixed(4)}`,
  );
  assert.equal(verdict.promote, true, verdict.reason);
  assert.ok(good.challenger.threshold && good.challenger.threshold.value > 0 && good.challenger.temperature > 0, "the challenger is calibrated");
  t.diagnostic(`fifth-trained ${verdict.champion!.accuracy.toFixed(4)} → retrained with ${labelled.length} labels ${verdict.challenger.accuracy.toFixed(4)} on ${evaluation.length} held-out rows`);

  // Reviewers who labelled carelessly: every label names the wrong intent.
  const bad = retrain({
    base,
    labels: reviewed(labelled, (r) => categories[(categories.indexOf(r.category) + 1) % categories.length]!),
    holdout: evaluation,
    champion: good.challenger,
    options,
    gate,
  });
  t.diagnostic(`mislabelled challenger: ${bad.verdict.reason}`);
  assert.ok(bad.verdict.challenger.accuracy < bad.verdict.champion!.accuracy, bad.verdict.reason);
  assert.equal(bad.verdict.promote, false, bad.verdict.reason);

  // The promoted artifact round-trips through the model store's format.
  const reloaded = classifierFromBytes(artifactBytes(good.challenger));
  assert.equal(reloaded.version, good.challenger.version);
  assert.equal(reloaded.predict(evaluation[0]!.text).label, good.challenger.predict(evaluation[0]!.text).label);
});

test("an equal challenger is not promoted (not better), and with no champion the first challenger is", () => {
  const small = fit.filter((r) => foldOf(r.text, 20) === 0);
  const model = trainChallenger(small, options);
  const same = retrain({ base: small, labels: [], holdout: evaluation.slice(0, 300), champion: model, challenger: model, options, gate });
  assert.equal(same.verdict.promote, false, same.verdict.reason);
  assert.equal(retrain({ base: small, labels: [], holdout: evaluation.slice(0, 300), champion: null, challenger: model, options, gate }).verdict.promote, true);
});
