import assert from "node:assert/strict";
import { test } from "node:test";
import { createLlmTier } from "../../../shared/models/index.js";
import { createLanes } from "../../../shared/models/lanes.js";
import { endpoint, standIn } from "./fixtures.js";

const task = { id: "t1", flow: "ticket", region: "eu" };
const nothing = () => ({ usd: 0, tokens: 0 });
const base = { breaker: {}, batch: { maxBatch: 1, maxWaitMs: 10 }, makeLlm: createLlmTier, redact: (t: string) => t };

test("with no endpoint the walk ends refused as no_endpoint, having asked nothing", async () => {
  const lanes = createLanes({ ...base, endpoints: [], gate: { invoke: async () => assert.fail("no endpoint to ask") } });
  const outcome = await lanes.walkLanes(task, [], nothing, async () => assert.fail("no lane to call"));
  assert.deepEqual(outcome, { kind: "refused", reason: "no large-model endpoint configured", reasonCode: "no_endpoint" });
});

test("a gate refusing every endpoint ends refused as policy_denied, each refusal recorded as tried, the model never called", async (t) => {
  const s = await standIn(t);
  const lanes = createLanes({
    ...base,
    endpoints: [endpoint(s, { name: "a" }), endpoint(s, { name: "b", model: "other" })],
    gate: { invoke: async (req) => ({ allowed: false, reasons: ["residency"], message: `${req.endpoint} not in region` }) },
  });
  const tried: { tier: string; model: string; error?: string }[] = [];
  const outcome = await lanes.walkLanes(task, tried as never, nothing, async () => assert.fail("refused lanes are not called"));
  assert.deepEqual(outcome, { kind: "refused", reason: "no endpoint allowed: a: a not in region; b: b not in region", reasonCode: "policy_denied" });
  assert.deepEqual(tried.map((x) => x.error), ["policy: a not in region", "policy: b not in region"]);
  assert.equal(s.requestCount(), 0);
});

test("the walk asks the endpoints in order and stops at the first that answers", async (t) => {
  const s = await standIn(t);
  const lanes = createLanes({
    ...base,
    endpoints: [endpoint(s, { name: "first" }), endpoint(s, { name: "second" })],
    gate: { invoke: async (_req, call) => ({ allowed: true, value: await call(false) }) },
  });
  const asked: string[] = [];
  const outcome = await lanes.walkLanes(task, [], nothing, async (lane) => {
    asked.push(lane.endpoint.name);
    return { value: lane.endpoint.name, costUsd: 0, tokens: 0, cached: false };
  });
  assert.equal(outcome.kind, "answer");
  assert.deepEqual(asked, ["first"]);
});

test("the gate is handed each lane's worst-case spend before the call and reads the actual spend from the answer", async (t) => {
  const s = await standIn(t);
  const seen: { endpoint: string; estimate: unknown; actual: unknown }[] = [];
  const lanes = createLanes({
    ...base,
    endpoints: [endpoint(s, { name: "cheap" })],
    gate: {
      async invoke(req, call) {
        const value = await call(false);
        seen.push({ endpoint: req.endpoint, estimate: req.spend?.estimate, actual: req.spend?.actual(value) });
        return { allowed: true, value };
      },
    },
  });
  await lanes.walkLanes(task, [], (lane) => ({ usd: lane.endpoint.name.length, tokens: 100 }), async () => ({ value: "ok", costUsd: 0.01, tokens: 42, cached: false }));
  assert.deepEqual(seen, [{ endpoint: "cheap", estimate: { usd: 5, tokens: 100 }, actual: { usd: 0.01, tokens: 42 } }]);
});
