import { test } from "node:test";
import assert from "node:assert/strict";
import { createCostMeter, type EndpointConfig } from "../../../shared/models/index.js";
import { createMetrics } from "../../../shared/telemetry/index.js";
import { costReport, countsFromExposition } from "../../../cli/commands/cost.js";

const ep: EndpointConfig = {
  name: "e",
  baseUrl: "http://127.0.0.1:1/v1",
  apiKey: "k",
  model: "m",
  region: "eu",
  trusted: false,
  priceUsdPer1kInputTokens: 0.5,
  priceUsdPer1kOutputTokens: 2,
  timeoutMs: 1000,
};

test("cost is tokens × price per call, counted per flow and model in /metrics and in the mesh cost report", async () => {
  const metrics = createMetrics();
  const meter = createCostMeter({ metrics });
  assert.equal(meter.record({ flow: "ticket", tier: "large", endpoint: ep, usage: { inputTokens: 1000, outputTokens: 500 } }), 0.5 + 1);
  assert.equal(meter.record({ flow: "ticket", tier: "large", endpoint: ep, usage: { inputTokens: 2000, outputTokens: 0 } }), 1);
  assert.equal(meter.record({ flow: "ticket", tier: "large", endpoint: ep, usage: { inputTokens: 0, outputTokens: 1000 } }), 2);
  // The runtime observes one cost per task; here two tasks of 2.5 and 2 USD.
  metrics.mesh_task_cost_usd.observe({ flow: "ticket" }, 2.5);
  metrics.mesh_task_cost_usd.observe({ flow: "ticket" }, 2);

  const exposition = await metrics.registry.metrics();
  assert.match(exposition, /mesh_model_tokens_total\{tier="large",model="m",direction="input"\} 3000/);
  assert.match(exposition, /mesh_model_cost_usd_total\{flow="ticket",tier="large",model="m"\} 4\.5/);
  const report = costReport(countsFromExposition(exposition), { hourlyRateUsd: 60, humanMinutesPerReview: 3, manualMinutesPerTask: 6 });
  assert.equal(report.flows.ticket?.modelUsd, 4.5);
  assert.equal(report.flows.ticket?.tasks, 2);
  assert.equal(report.flows.ticket?.modelUsdPerTask, 2.25);
  assert.equal(report.flows.ticket?.manualUsdPerTask, 6, "6 minutes at $60/h");
  assert.equal(report.flows.ticket?.saving, 1 - 2.25 / 6);
});
