import { LRUCache } from "lru-cache";
import type { MeshMetrics } from "../telemetry/index.js";
import { priceOf, type EndpointConfig, type Usage } from "./llm-tier.js";

/**
 * Tokens × price, per task and per flow. Per-task sums live until `settle` (called once when the task
 * ends) and are bounded, so tasks that never settle cannot grow memory.
 */
export interface CostLine {
  usd: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

export interface CostTotals {
  readonly flows: Readonly<Record<string, CostLine & { tasks: number }>>;
  readonly models: Readonly<Record<string, CostLine>>;
}

export interface CostMeter {
  /** Records one model call and returns its cost in US dollars. */
  record(call: { flow: string; taskId: string; tier: string; endpoint: EndpointConfig; usage: Usage }): number;
  /** Cost so far of a task still running. */
  taskCost(taskId: string): number;
  /** Ends a task: observes mesh_task_cost_usd{flow} and returns the task's total. */
  settle(taskId: string, flow: string): number;
  totals(): CostTotals;
}

const emptyLine = (): CostLine => ({ usd: 0, calls: 0, inputTokens: 0, outputTokens: 0 });

export function createCostMeter(opts: { metrics?: MeshMetrics; maxOpenTasks?: number } = {}): CostMeter {
  const open = new LRUCache<string, number>({ max: opts.maxOpenTasks ?? 50_000 });
  const flows: Record<string, CostLine & { tasks: number }> = {};
  const models: Record<string, CostLine> = {};
  const add = (line: CostLine, usd: number, usage: Usage) => {
    line.usd += usd;
    line.calls += 1;
    line.inputTokens += usage.inputTokens;
    line.outputTokens += usage.outputTokens;
  };
  return {
    record({ flow, taskId, tier, endpoint, usage }) {
      const usd = priceOf(endpoint, usage);
      add((flows[flow] ??= { ...emptyLine(), tasks: 0 }), usd, usage);
      add((models[`${tier}/${endpoint.model}`] ??= emptyLine()), usd, usage);
      open.set(taskId, (open.get(taskId) ?? 0) + usd);
      const m = opts.metrics;
      if (m) {
        m.mesh_model_tokens_total.inc({ tier, model: endpoint.model, direction: "input" }, usage.inputTokens);
        m.mesh_model_tokens_total.inc({ tier, model: endpoint.model, direction: "output" }, usage.outputTokens);
        m.mesh_model_cost_usd_total.inc({ flow, tier, model: endpoint.model }, usd);
      }
      return usd;
    },
    taskCost: (taskId) => open.get(taskId) ?? 0,
    settle(taskId, flow) {
      const usd = open.get(taskId) ?? 0;
      open.delete(taskId);
      (flows[flow] ??= { ...emptyLine(), tasks: 0 }).tasks += 1;
      opts.metrics?.mesh_task_cost_usd.observe({ flow }, usd);
      return usd;
    },
    totals: () => structuredClone({ flows, models }),
  };
}
