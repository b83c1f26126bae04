import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { moodOf } from "./sentiment.js";

test("an angry mention is negative, a grateful one positive, a plain question neutral", () => {
  assert.equal(moodOf("this is terrible, awful service").mood, "negative");
  assert.equal(moodOf("thanks, you were great!").mood, "positive");
  assert.equal(moodOf("what time do you open tomorrow?").mood, "neutral");
});

test("any text gets a mood and a finite score", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
      const { mood, score } = moodOf(text);
      assert.ok(["negative", "neutral", "positive"].includes(mood));
      assert.ok(Number.isFinite(score));
    }),
  );
});
