import { isListening } from "../local-nats.js";
import { instantQuery } from "../prometheus-query.js";
import { report } from "../report.js";
import { parseExposition, sumBy } from "../../shared/telemetry/index.js";

export interface CostOptions {
  /** What an hour of a person's time costs (reviewers and the manual baseline alike). */
  readonly hourlyRateUsd: number;
  readonly humanMinutesPerReview: number;
  /** The manual baseline: minutes a person spends on one task without the mesh. */
  readonly manualMinutesPerTask: number;
}

export interface FlowCost {
  readonly tasks: number;
  readonly modelUsd: number;
  readonly modelUsdPerTask: number;
  readonly reviews: number;
  readonly humanUsd: number;
  readonly usdPerTask: number;
  readonly manualUsdPerTask: number;
  /** Share of the manual cost saved, 0..1 (negative when the mesh costs more). */
  readonly saving: number;
}

/** Per flow: tasks costed, model spend in USD, and tasks escalated to a person. */
export interface CostCounts {
  readonly tasks: Readonly<Record<string, number>>;
  readonly spend: Readonly<Record<string, number>>;
  readonly reviews: Readonly<Record<string, number>>;
}

/** The counters as agents' /metrics hold them now: since each process started, so a restart zeroes them. */
export function countsFromExposition(exposition: string): CostCounts {
  const samples = parseExposition(exposition);
  return {
    tasks: sumBy(samples, "mesh_task_cost_usd_count", "flow"),
    spend: sumBy(samples, "mesh_model_cost_usd_total", "flow"),
    reviews: sumBy(samples, "mesh_tasks_total", "flow", { outcome: "escalated" }),
  };
}

/** A Prometheus range duration: 30m, 24h, 7d, 1h30m. */
export const promDuration = /^(\d+(ms|s|m|h|d|w|y))+$/;

/**
 * The same counters from Prometheus over a window ending at `at`: `increase()` adds across counter resets, so agent
 * restarts lose nothing, and only this mesh's series count (whatever Prometheus scrapes under these names). Counts
 * of tasks and reviews are whole: increase() extrapolates to the window's edges, so they are rounded.
 */
export async function countsFromPrometheus(url: string, window: string, at?: Date): Promise<CostCounts> {
  const byFlow = async (series: string, round: boolean) => {
    const samples = await instantQuery(url, `sum by (flow) (increase(${series}[${window}]))`, at);
    return Object.fromEntries(samples.map((s) => [s.labels.flow ?? "unknown", round ? Math.round(s.value) : s.value]));
  };
  const [tasks, spend, reviews] = await Promise.all([
    byFlow("mesh_task_cost_usd_count", true),
    byFlow("mesh_model_cost_usd_total", false),
    byFlow('mesh_tasks_total{outcome="escalated"}', true),
  ]);
  return { tasks, spend, reviews };
}

/** Cost per task and per flow — model spend plus human review time — against doing the work by hand. */
export function costReport({ tasks, spend, reviews }: CostCounts, opts: CostOptions): { flows: Record<string, FlowCost>; text: string } {
  const flows: Record<string, FlowCost> = {};
  for (const flow of [...new Set([...Object.keys(tasks), ...Object.keys(spend)])].sort()) {
    const n = tasks[flow] ?? 0;
    const modelUsd = spend[flow] ?? 0;
    const r = reviews[flow] ?? 0;
    const humanUsd = (r * opts.humanMinutesPerReview * opts.hourlyRateUsd) / 60;
    const usdPerTask = n ? (modelUsd + humanUsd) / n : 0;
    const manualUsdPerTask = (opts.manualMinutesPerTask * opts.hourlyRateUsd) / 60;
    flows[flow] = {
      tasks: n,
      modelUsd,
      modelUsdPerTask: n ? modelUsd / n : 0,
      reviews: r,
      humanUsd,
      usdPerTask,
      manualUsdPerTask,
      saving: manualUsdPerTask ? 1 - usdPerTask / manualUsdPerTask : 0,
    };
  }
  const rows = Object.entries(flows).map(
    ([flow, c]) =>
      `${flow.padEnd(10)}${String(c.tasks).padStart(8)}${c.modelUsd.toFixed(4).padStart(12)}${String(c.reviews).padStart(9)}${c.humanUsd.toFixed(2).padStart(12)}${c.usdPerTask.toFixed(4).padStart(12)}${c.manualUsdPerTask.toFixed(2).padStart(12)}${`${(c.saving * 100).toFixed(0)}%`.padStart(9)}`,
  );
  const text = [
    `${"FLOW".padEnd(10)}${"TASKS".padStart(8)}${"MODEL $".padStart(12)}${"REVIEWS".padStart(9)}${"HUMAN $".padStart(12)}${"$/TASK".padStart(12)}${"MANUAL $/T".padStart(12)}${"SAVING".padStart(9)}`,
    ...(rows.length ? rows : ["(no tasks recorded yet)"]),
    `human time at $${opts.hourlyRateUsd}/h, ${opts.humanMinutesPerReview} min per review; manual baseline ${opts.manualMinutesPerTask} min per task`,
  ].join("\n");
  return { flows, text };
}

/**
 * `mesh cost`: from Prometheus over a window (--prometheus URL, the way to ask in production), else by scraping
 * agents' /metrics now (the ones given, or those `mesh up` started on 9464…: the local demo).
 */
export async function costCommand(opts: CostOptions & { prometheus?: string; window?: string; at?: Date; metricsUrls?: readonly string[]; json?: boolean }): Promise<number> {
  let counts: CostCounts;
  let source: string;
  if (opts.prometheus) {
    const window = opts.window ?? "24h";
    counts = await countsFromPrometheus(opts.prometheus, window, opts.at);
    source = `from Prometheus ${opts.prometheus}: increase over ${window} up to ${(opts.at ?? new Date()).toISOString()}`;
  } else {
    const urls = opts.metricsUrls?.length ? opts.metricsUrls : await localAgents();
    if (!urls.length) {
      process.stderr.write("no agent metrics found on 127.0.0.1:9464-9479; ask Prometheus (--prometheus <url>), start a mesh ('mesh up') or pass --metrics <url,...>\n");
      return 1;
    }
    counts = countsFromExposition((await Promise.all(urls.map(scrape))).join("\n"));
    source = `scraped now from ${urls.length} agent(s): counters since each started, zeroed by a restart`;
  }
  const cost = costReport(counts, opts);
  report(opts, cost.flows, () => `${cost.text}\n${source}`);
  return 0;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url).catch((err: Error) => {
    throw new Error(`${url}: ${err.message}`);
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

async function localAgents(): Promise<string[]> {
  const ports = Array.from({ length: 16 }, (_, i) => 9464 + i);
  const open = await Promise.all(ports.map((p) => isListening(p)));
  return ports.filter((_, i) => open[i]).map((p) => `http://127.0.0.1:${p}/metrics`);
}
