import { isListening } from "../local-nats.js";
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

/** Cost per task and per flow — model spend plus human review time — against doing the work by hand. */
export function costReport(exposition: string, opts: CostOptions): { flows: Record<string, FlowCost>; text: string } {
  const samples = parseExposition(exposition);
  const tasks = sumBy(samples, "mesh_task_cost_usd_count", "flow");
  const spend = sumBy(samples, "mesh_model_cost_usd_total", "flow");
  const reviews = sumBy(samples, "mesh_tasks_total", "flow", { outcome: "escalated" });
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

/** `mesh cost`: reads every agent's /metrics (the ones given, or those `mesh up` started on 9464…) and reports. */
export async function costCommand(opts: CostOptions & { metricsUrls?: readonly string[]; json?: boolean }): Promise<number> {
  const urls = opts.metricsUrls?.length ? opts.metricsUrls : await localAgents();
  if (!urls.length) {
    process.stderr.write("no agent metrics found on 127.0.0.1:9464-9479; start a mesh ('mesh up') or pass --metrics <url,...>\n");
    return 1;
  }
  const texts = await Promise.all(
    urls.map(async (u) => {
      const res = await fetch(u).catch((err: Error) => {
        throw new Error(`${u}: ${err.message}`);
      });
      if (!res.ok) throw new Error(`${u} answered ${res.status}`);
      return res.text();
    }),
  );
  const report = costReport(texts.join("\n"), opts);
  process.stdout.write(opts.json ? `${JSON.stringify(report.flows, null, 2)}\n` : `${report.text}\n`);
  return 0;
}

async function localAgents(): Promise<string[]> {
  const ports = Array.from({ length: 16 }, (_, i) => 9464 + i);
  const open = await Promise.all(ports.map((p) => isListening(p)));
  return ports.filter((_, i) => open[i]).map((p) => `http://127.0.0.1:${p}/metrics`);
}
