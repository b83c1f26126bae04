import type { MeshMetrics } from "../telemetry/index.js";
import { priceOf, type EndpointConfig, type Usage } from "./llm-tier.js";

/**
 * Tokens × price for every model call, kept where operators read it: the token and spend counters.
 * Cost per task is the runtime's (it sums the calls one delivery made and observes mesh_task_cost_usd);
 * totals per flow are the counters themselves (`mesh cost` reads them from /metrics).
 */
export interface CostMeter {
  /** Records one model call and returns its cost in US dollars. */
  record(call: { flow: string; tier: string; endpoint: EndpointConfig; usage: Usage }): number;
}

export function createCostMeter(opts: { metrics?: MeshMetrics } = {}): CostMeter {
  return {
    record({ flow, tier, endpoint, usage }) {
      const usd = priceOf(endpoint, usage);
      const m = opts.metrics;
      if (m) {
        m.mesh_model_tokens_total.inc({ tier, model: endpoint.model, direction: "input" }, usage.inputTokens);
        m.mesh_model_tokens_total.inc({ tier, model: endpoint.model, direction: "output" }, usage.outputTokens);
        m.mesh_model_cost_usd_total.inc({ flow, tier, model: endpoint.model }, usd);
      }
      return usd;
    },
  };
}
