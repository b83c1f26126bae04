import { parseExposition, sumBy } from "../../shared/telemetry/index.js";

/** Completed tasks of one flow by who finished them, and the hit-rate they give. */
export interface FlowHits {
  readonly straightThrough: number;
  readonly human: number;
  readonly hitRate: number;
}

/**
 * Hit-rates per flow from the agents' /metrics (mesh_tasks_completed_total{flow,touch}): the share of completed
 * tasks no human touched. A flow with no completed task has no rate (the sheet's expectation stands).
 */
export async function measuredHitRates(urls: readonly string[], fetchText: (url: string) => Promise<string> = defaultFetch): Promise<Record<string, FlowHits>> {
  const samples = (await Promise.all(urls.map(fetchText))).flatMap(parseExposition);
  const none = sumBy(samples, "mesh_tasks_completed_total", "flow", { touch: "none" });
  const human = sumBy(samples, "mesh_tasks_completed_total", "flow", { touch: "human" });
  const out: Record<string, FlowHits> = {};
  for (const flow of new Set([...Object.keys(none), ...Object.keys(human)])) {
    const s = none[flow] ?? 0;
    const h = human[flow] ?? 0;
    if (s + h > 0) out[flow] = { straightThrough: s, human: h, hitRate: s / (s + h) };
  }
  return out;
}

async function defaultFetch(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}
