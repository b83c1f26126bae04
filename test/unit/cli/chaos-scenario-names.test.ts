import { test } from "node:test";
import assert from "node:assert/strict";
import { scenarioNames } from "../../../cli/chaos/scenario-names.js";
import { scenarios } from "../../../cli/chaos/scenarios.js";

test("mesh help lists exactly the chaos scenarios there is code for, in the same order", () => {
  assert.deepEqual(scenarios.map((s) => s.name), [...scenarioNames]);
});
