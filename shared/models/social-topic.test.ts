import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { socialTopicClassifier, socialTopics } from "./social-topic.js";

const model = socialTopicClassifier();
const sure = (text: string) => {
  const p = model.predict(text);
  return p.confidence >= model.threshold!.value ? p.label : "unsure";
};

test("a mention naming one topic is that topic, surely; one naming none is general", () => {
  assert.equal(sure("I want a refund for my order"), "refund");
  assert.equal(sure("My lawyer will be in touch"), "legal");
  assert.equal(sure("the charger caught fire last night"), "safety");
  assert.equal(sure("what time do you open tomorrow?"), "general");
});

test("a mention naming several topics is unsure, so it goes to the large model and then a human", () => {
  assert.equal(sure("the heater caught fire, I want my money back"), "unsure");
  assert.equal(sure("refund me or I call my lawyer"), "unsure");
  assert.equal(sure("refund, refund, money back, chargeback! or my lawyer"), "unsure", "however often one of them is named");
});

test("words inside other words do not count ('issue' is not 'sue', 'firewall' is not 'fire')", () => {
  assert.equal(sure("there is an issue with my pursuit of a firewall"), "general");
});

test("any text, however hostile, gets one known label with a confidence in [0, 1], the same every time", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
      const p = model.predict(text);
      assert.ok(model.labels.includes(p.label));
      assert.ok(p.confidence >= 0 && p.confidence <= 1, `confidence ${p.confidence}`);
      assert.deepEqual(model.predict(text), p);
    }),
  );
});

test("any mention naming words of two topics, however many times, is never taken at the small model's word", () => {
  const topics = Object.entries(socialTopics).filter(([, words]) => words.length > 0);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: topics.length - 1 }),
      fc.integer({ min: 1, max: topics.length - 1 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      (a, shift, picksA, picksB) => {
        const [, wordsA] = topics[a]!;
        const [, wordsB] = topics[(a + shift) % topics.length]!;
        const text = [...picksA.map((i) => wordsA[i % wordsA.length]), "and", ...picksB.map((i) => wordsB[i % wordsB.length])].join(" , ");
        assert.equal(sure(text), "unsure", text);
      },
    ),
  );
});
