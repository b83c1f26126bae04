import assert from "node:assert/strict";
import { test } from "node:test";
import { PolicyDeniedError } from "../../errors/index.js";
import { countingEffect, policyOf } from "../../../test/helpers/effect-fixtures.js";
import { pipeline, type Interceptor } from "./pipeline.js";
import { policyDecision } from "./policy-decision.js";

const grants = policyOf([{ id: "triage-complete", effect: "permit", actions: ["task.complete"], principals: ["triage"], resources: { subjects: ["mesh.result.ticket"] } }]);

test("an effect runs once, with the decision that allowed it, when the policy permits it", async () => {
  const effect = countingEffect({ async run(decision) { return decision.reasons.join(","); } });
  assert.equal(await pipeline(policyDecision(grants))(effect), "triage-complete");
});

test("an effect the policy does not permit never runs (default deny)", async () => {
  const effect = countingEffect({ resource: { subject: "mesh.result.invoice" } });
  await assert.rejects(pipeline(policyDecision(grants))(effect), (err: unknown) => err instanceof PolicyDeniedError && err.reasons.includes("default-deny"));
  assert.equal(effect.runs, 0);
});

test("a chain assembled without the policy interceptor cannot act", async () => {
  const effect = countingEffect();
  await assert.rejects(pipeline()(effect), /without an allowing policy decision/);
  assert.equal(effect.runs, 0);
});

test("interceptors run in the order given, each around the next", async () => {
  const seen: string[] = [];
  const mark = (name: string): Interceptor => async (e, trail, next) => {
    seen.push(`${name}:in`);
    const r = await next(e, trail);
    seen.push(`${name}:out`);
    return r;
  };
  await pipeline(mark("a"), mark("b"), policyDecision(grants))(countingEffect());
  assert.deepEqual(seen, ["a:in", "b:in", "b:out", "a:out"]);
});
