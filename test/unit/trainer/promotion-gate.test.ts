import assert from "node:assert/strict";
import { test } from "node:test";
import { binomialUpperTail, promotionVerdict, wilsonUpper, type GateSettings, type IntentFigures, type Judged } from "../../../agents/trainer/promotion-gate.js";

const settings: GateSettings = { targetPrecision: 0.97, precisionMargin: 0.005, coverageMargin: 0.01, significance: 0.05, intentFloors: { compromised_card: 0.97, request_refund: 0.97 } };

/** A model's answers on 1,000 held-out rows: right on those `right` says, with the given figures at its threshold. */
function judged(version: string, right: (i: number) => boolean, figures: { coverage: number; precision: number; intents: Record<string, IntentFigures> }): Judged {
  const correct = Array.from({ length: 1000 }, (_, i) => right(i));
  return {
    correct,
    figures: { version, threshold: 0.8, rows: correct.length, accuracy: correct.filter(Boolean).length / correct.length, ...figures },
  };
}

const champion = judged("champ", (i) => i % 10 !== 0, {
  coverage: 0.8,
  precision: 0.97,
  intents: { compromised_card: { autoHandled: 20, right: 20, precision: 1 }, request_refund: { autoHandled: 25, right: 24, precision: 0.96 } },
});

/** Figures of `right` out of `n` auto-handled. */
const intent = (right: number, n: number): IntentFigures => ({ autoHandled: n, right, precision: n ? right / n : 1 });

test("McNemar's exact one-sided p-value is the binomial upper tail at one half", () => {
  assert.equal(binomialUpperTail(0, 5), 1);
  assert.equal(binomialUpperTail(6, 5), 0);
  assert.ok(Math.abs(binomialUpperTail(8, 10) - 56 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(3, 5) - 0.5) < 1e-12);
  assert.ok(binomialUpperTail(1200, 2000) < 1e-15 && binomialUpperTail(1200, 2000) > 0, "no underflow to zero or overflow at n = 2000");
});

test("the gate refuses a challenger better overall but worse on one high-risk intent, naming the intent and its figures", () => {
  // Right on every row the champion got right and on half the rest: accuracy 0.95 vs 0.90, McNemar p < 1e-14.
  const better = (intents: Record<string, IntentFigures>) => judged("chall", (i) => i % 20 !== 0, { coverage: 0.86, precision: 0.975, intents });
  const sound = promotionVerdict(better({ compromised_card: intent(22, 22), request_refund: intent(24, 25) }), champion, settings);
  assert.equal(sound.promote, true, sound.reason);
  assert.ok(sound.mcnemar!.pValue < 1e-10 && sound.mcnemar!.challengerOnly === 50 && sound.mcnemar!.championOnly === 0);

  const sloppy = promotionVerdict(better({ compromised_card: intent(20, 23), request_refund: intent(24, 25) }), champion, settings);
  assert.equal(sloppy.promote, false);
  assert.deepEqual(sloppy.failures, ["high-risk intent compromised_card: precision 0.870 on 23 auto-handled (95% upper bound 0.947) < 0.970 (floor 0.97, champion 1.000)"]);
  assert.match(sloppy.reason, /keep the champion/);
});

test("where the champion is under an intent's floor the challenger may not fall further, but need not reach the floor", () => {
  const at = (right: number, n: number) =>
    judged("chall", (i) => i % 20 !== 0, { coverage: 0.86, precision: 0.975, intents: { compromised_card: intent(20, 20), request_refund: intent(right, n) } });
  assert.equal(promotionVerdict(at(96, 100), champion, settings).promote, true);
  assert.match(promotionVerdict(at(85, 100), champion, settings).failures.join(), /request_refund: precision 0.850 on 100 .* < 0.960 \(floor 0.97, champion 0.960\)/);
});

test("a few misses on a handful of auto-handled rows are noise, not evidence of missing the floor", () => {
  const few = judged("chall", (i) => i % 20 !== 0, { coverage: 0.86, precision: 0.975, intents: { compromised_card: intent(33, 35), request_refund: intent(24, 25) } });
  assert.equal(promotionVerdict(few, champion, settings).promote, true);
  assert.ok(wilsonUpper(33, 35) > 0.97 && wilsonUpper(20, 23) < 0.97);
  assert.equal(wilsonUpper(0, 0), 1);
});

test("a champion that overshoots the target precision by covering little does not raise the bar above the target", () => {
  const cautious = judged("champ", (i) => i % 10 !== 0, { coverage: 0.3, precision: 0.995, intents: champion.figures.intents });
  const verdict = promotionVerdict(judged("c", (i) => i % 20 !== 0, { coverage: 0.85, precision: 0.972, intents: champion.figures.intents }), cautious, settings);
  assert.equal(verdict.promote, true, verdict.reason);
});

test("the gate refuses a challenger that auto-handles less precisely or covers less, even when it is more accurate", () => {
  const intents = champion.figures.intents;
  const lessPrecise = promotionVerdict(judged("c", (i) => i % 20 !== 0, { coverage: 0.9, precision: 0.96, intents }), champion, settings);
  assert.deepEqual(lessPrecise.failures, ["precision at threshold 0.960 < 0.970 (champion 0.970, target 0.97) - margin 0.005"]);
  const coversLess = promotionVerdict(judged("c", (i) => i % 20 !== 0, { coverage: 0.78, precision: 0.98, intents }), champion, settings);
  assert.deepEqual(coversLess.failures, ["coverage 0.780 < champion 0.800 - margin 0.01"]);
});

test("an equal challenger, or one better on too few rows to tell, is not promoted; with no champion the first is", () => {
  const same = promotionVerdict(champion, champion, settings);
  assert.equal(same.promote, false);
  assert.match(same.failures[0]!, /not significantly better: .* on 0 rows, .* on 0 \(McNemar p=1\.00/);
  // 4 rows better, 1 worse: p = 6/32 ≈ 0.19.
  const slightly = judged("c", (i) => (i % 10 !== 0 || i < 40) && i !== 1, { ...champion.figures });
  assert.match(promotionVerdict(slightly, champion, settings).failures.join(), /on 4 rows, .* on 1 \(McNemar p=0\.18[78]/);
  assert.equal(promotionVerdict(champion, null, settings).promote, true);
});
