import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { promisesIn } from "./index.js";

const list = ["we will refund", "guaranteed", "you will be compensated"];

test("a draft promising a refund is caught whatever its case and spacing", () => {
  assert.deepEqual(promisesIn("Sorry!  WE   will Refund you by Friday.", list), ["we will refund"]);
  assert.deepEqual(promisesIn("Delivery is guaranteed and you will be compensated", list), ["guaranteed", "you will be compensated"]);
});

test("a phrase inside longer words is not a promise, and a reply without one passes", () => {
  assert.deepEqual(promisesIn("our unguaranteed estimate; we will refundable-check", list), []);
  assert.deepEqual(promisesIn("Thanks, our team will look into it.", list), []);
});

test("any text around a listed phrase, separated by spaces, is caught; any text at all never throws", () => {
  fc.assert(
    fc.property(fc.string(), fc.constantFrom(...list), fc.string(), (before, phrase, after) => {
      assert.ok(promisesIn(`${before} ${phrase.toUpperCase()} ${after}`, list).includes(phrase));
    }),
  );
  fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => void promisesIn(text, list)));
});
