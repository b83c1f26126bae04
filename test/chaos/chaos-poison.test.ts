import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos poison: 30 hostile inputs among 90 valid ones each get one dead letter, the valid ones one outcome each, 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "poison", events: 90, poisonRounds: 5 });
  assert.equal(report.in, 90 + 30);
  assert.equal(report.dlq, 30, "one letter per hostile input, none for a valid one");
});
