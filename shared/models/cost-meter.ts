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

/**
 * Cost per flow from Prometheus exposition text (one or many agents' /metrics concatenated), for `mesh cost`:
 * spend from mesh_model_cost_usd_total, tasks and cost per task from the mesh_task_cost_usd histogram.
 */
export function costReportFromMetrics(exposition: string): { flows: Record<string, { usd: number; tasks: number; usdPerTask: number }>; text: string } {
  const flows: Record<string, { usd: number; tasks: number; usdPerTask: number }> = {};
  const labelOf = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];
  for (const line of exposition.split("\n")) {
    const m = /^(mesh_model_cost_usd_total|mesh_task_cost_usd_count)\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const flow = labelOf(m[2]!, "flow") ?? "unknown";
    const row = (flows[flow] ??= { usd: 0, tasks: 0, usdPerTask: 0 });
    if (m[1] === "mesh_model_cost_usd_total") row.usd += Number(m[3]);
    else row.tasks += Number(m[3]);
  }
  const lines = ["flow            tasks        spend USD    USD per task"];
  for (const [flow, row] of Object.entries(flows).sort()) {
    row.usdPerTask = row.tasks ? row.usd / row.tasks : 0;
    lines.push(`${flow.padEnd(14)} ${String(row.tasks).padStart(7)} ${row.usd.toFixed(6).padStart(16)} ${row.usdPerTask.toFixed(6).padStart(15)}`);
  }
  return { flows, text: lines.join("\n") };
}
