import assert from "node:assert/strict";
import { test } from "node:test";
import { highRiskFloors } from "../../../agents/trainer/intent-floors.js";
import { gateSettings, parseTrainerSettings } from "../../../agents/trainer/settings.js";
import { compilePolicy, defaultPolicyPath, loadPolicyFile, parsePolicyDocument } from "../../../policy/index.js";
import { readFileSync } from "node:fs";
import { loadBanking77 } from "../../../shared/datasets/index.js";
import { approversForCategory } from "../../../shared/runtime/review-decisions.js";

const { categories } = loadBanking77();
const floorsUnder = (policy: Parameters<typeof approversForCategory>[0]) =>
  highRiskFloors(categories, (i) => approversForCategory(policy, "trainer", "ticket", i), 0.97);

test("the gate's intent floors are exactly the intents the mesh policy asks two approvers for, each at the target precision", () => {
  const policy = loadPolicyFile(defaultPolicyPath);
  const floors = floorsUnder(policy);
  assert.deepEqual(Object.keys(floors).sort(), [...policy.document.lists.high_risk!].sort());
  assert.ok(Object.values(floors).every((f) => f === 0.97));
  assert.deepEqual(gateSettings(parseTrainerSettings({}), floors).intentFloors, floors);
});

test("a policy revision that adds an intent to the high-risk list adds its floor; no copy in the trainer to keep in step", () => {
  const source = readFileSync(defaultPolicyPath, "utf8").replace("  high_risk:\n", "  high_risk:\n    - card_arrival\n");
  const revised = compilePolicy(parsePolicyDocument(source, "revised.yaml"));
  const floors = floorsUnder(revised);
  assert.equal(floors.card_arrival, 0.97);
  assert.equal(floorsUnder(loadPolicyFile(defaultPolicyPath)).card_arrival, undefined);
});

test("TRAINER_INTENT_FLOORS, when set, replaces the floors derived from policy (an empty object turns them off)", () => {
  const derived = { compromised_card: 0.97 };
  assert.deepEqual(gateSettings(parseTrainerSettings({ TRAINER_INTENT_FLOORS: "{}" }), derived).intentFloors, {});
  assert.deepEqual(gateSettings(parseTrainerSettings({ TRAINER_INTENT_FLOORS: '{"request_refund":0.9}' }), derived).intentFloors, { request_refund: 0.9 });
  assert.throws(() => parseTrainerSettings({ TRAINER_INTENT_FLOORS: "[" }), /TRAINER_INTENT_FLOORS.*not JSON/);
});
