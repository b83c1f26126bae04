import { test } from "node:test";
import assert from "node:assert/strict";
import { classifiers, confidentTicket, endpoint, router, standIn, task, unsureTicket } from "./fixtures.js";

test("the same unsure input twice: the second answer comes from the cache and the stand-in saw one request", async (t) => {
  const s = await standIn(t);
  const { router: r, metrics } = router({ endpoints: [endpoint(s)] });
  const first = await r.classify("ticket-intent", unsureTicket("card_arrival", 0.93), task("a"));
  assert.equal(first.decision, "accept");
  assert.equal(first.tier, "large");
  assert.equal(first.label, "card_arrival");
  assert.ok(first.costUsd > 0, "the LLM call has a cost");
  // Normalisation: case and spacing differences still hit the same entry.
  const second = await r.classify("ticket-intent", `  ${unsureTicket("card_arrival", 0.93).toUpperCase()} `, task("b"));
  assert.equal(second.tier, "cache");
  assert.equal(second.cached, true);
  assert.equal(second.label, "card_arrival");
  assert.equal(second.costUsd, 0);
  assert.equal(s.requests().length, 1);
  const exposition = await metrics.registry.metrics();
  assert.match(exposition, /mesh_router_decisions_total\{flow="ticket",tier="cache"\} 1/);
  assert.match(exposition, /mesh_model_cost_usd_total\{flow="ticket",tier="large",model="stand-in-large"\} [0-9.e-]+/);
});

test("a confident small-model answer never reaches the LLM", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] });
  const res = await r.classify("ticket-intent", confidentTicket, task());
  assert.equal(res.decision, "accept");
  assert.equal(res.tier, "small");
  assert.equal(res.label, "card_arrival");
  assert.equal(res.modelVersion.length, 12);
  assert.equal(s.requests().length, 0);
});

test("an LLM answer under the large threshold goes to a human with both tiers' guesses", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)], thresholds: { large: 0.8 } });
  const res = await r.classify("ticket-intent", unsureTicket("request_refund", 0.4), task());
  assert.equal(res.decision, "escalate");
  assert.equal(res.tier, "human");
  assert.equal(res.reasonCode, "low_confidence");
  assert.deepEqual(res.tried.map((x) => x.tier), ["small", "large"]);
  assert.equal(res.tried[1]?.label, "request_refund");
});

test("a per-flow threshold overrides the calibrated one", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)], flows: { strict: { small: 1.0001 } } });
  const res = await r.classify("ticket-intent", confidentTicket, task("x", "eu", "strict"));
  assert.equal(res.tier, "large", "even a confident small answer goes up under the strict flow's bar");
  assert.equal(s.requests().length, 1);
});

test("an LLM label outside the allowed list goes to a human and does not count against the endpoint", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)], breaker: { minCalls: 1 } });
  const res = await r.classify("ticket-intent", unsureTicket("not_a_banking_intent"), task());
  assert.equal(res.decision, "escalate");
  assert.equal(res.reasonCode, "invalid_model_output");
  assert.equal(r.breakerStates()["stand-in-eu"], "closed");
});

test("a hot-swapped small model version, even one only recalibrated, never gets the old version's cached answers", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] });
  const text = unsureTicket("card_arrival", 0.93);
  await r.classify("ticket-intent", text, task("v1"));
  assert.equal((await r.classify("ticket-intent", text, task("v1b"))).tier, "cache");
  const current = classifiers["ticket-intent"]!;
  const next = current.withCalibration(current.temperature * 1.01, current.threshold);
  assert.notEqual(next.version, current.version, "the version covers the temperature, not only the weights");
  r.swapClassifier("ticket-intent", next);
  const after = await r.classify("ticket-intent", text, task("v2"));
  assert.notEqual(after.tier, "cache");
});

test("a model that ChatOpenAI drives by tool calling (gpt-4) classifies and drafts through the same router", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s, { model: "gpt-4" })] });
  const res = await r.classify("ticket-intent", unsureTicket("exchange_rate", 0.9), task());
  assert.equal(res.label, "exchange_rate");
  assert.equal(res.tier, "large");
  assert.ok((await r.draft({ text: "rates?", intent: "exchange_rate" }, task())).text);
  const bodies = s.requests().map((q) => q.body as { tools?: unknown[]; response_format?: unknown });
  assert.ok(bodies.every((b) => Array.isArray(b.tools) && b.response_format === undefined), "tool-calling form on the wire");
});
