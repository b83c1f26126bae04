import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createMetrics, type MeshMetrics } from "../../shared/telemetry/index.js";
import { prometheusBin, startPrometheus, type Prometheus } from "../helpers/prometheus.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

/** An agent's registry (the mesh's metric catalogue) whose cost series exist from the start, at zero, as after a (re)start. */
function freshAgentMetrics(): MeshMetrics {
  const metrics = createMetrics();
  metrics.mesh_task_cost_usd.zero({ flow: "invoice" });
  metrics.mesh_model_cost_usd_total.inc({ flow: "invoice", tier: "large", model: "m" }, 0);
  metrics.mesh_tasks_total.inc({ flow: "invoice", agent: "invoice", outcome: "escalated" }, 0);
  return metrics;
}

/** `n` tasks of `usd` each, `escalated` of them sent to a person: what the runtime records for them. */
function recordTasks(metrics: MeshMetrics, n: number, usd: number, escalated: number): void {
  for (let i = 0; i < n; i++) metrics.mesh_task_cost_usd.observe({ flow: "invoice" }, usd);
  metrics.mesh_model_cost_usd_total.inc({ flow: "invoice", tier: "large", model: "m" }, n * usd);
  metrics.mesh_tasks_total.inc({ flow: "invoice", agent: "invoice", outcome: "escalated" }, escalated);
}

const tasksSeen = async (prom: Prometheus) => {
  const [sample] = await prom.query('mesh_task_cost_usd_count{flow="invoice"}');
  return sample ? Number(sample.value[1]) : undefined;
};

type FlowCost = { tasks: number; modelUsd: number; reviews: number };

test(
  "mesh cost --prometheus counts the tasks of an agent that restarted mid-window (increase() across the reset), where a scrape of the agent sees only those since the restart",
  { skip: !prometheusBin && "prometheus not installed (Debian package prometheus)", timeout: 120_000 },
  async (t) => {
    let agent = freshAgentMetrics();
    const server = createServer((_req, res) => {
      void agent.registry.metrics().then((text) => res.writeHead(200, { "content-type": agent.registry.contentType }).end(text));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const prom = await startPrometheus(t, { invoice: port });

    // Prometheus sees each state before the next: the zero it starts from, 10 tasks, the restart's zero, 4 more.
    await waitFor("Prometheus to scrape the agent's zeroed series", async () => (await tasksSeen(prom)) === 0, { timeoutMs: 30_000 });
    recordTasks(agent, 10, 0.01, 3);
    await waitFor("Prometheus to scrape the first 10 tasks", async () => (await tasksSeen(prom)) === 10, { timeoutMs: 30_000 });
    agent = freshAgentMetrics();
    await waitFor("Prometheus to scrape the restarted agent", async () => (await tasksSeen(prom)) === 0, { timeoutMs: 30_000 });
    recordTasks(agent, 4, 0.01, 1);
    await waitFor("Prometheus to scrape the 4 tasks after the restart", async () => (await tasksSeen(prom)) === 4, { timeoutMs: 30_000 });

    // The window ends at the last scrape, so increase() has nothing to extrapolate past it: the figures are exact.
    const [last] = await prom.query('timestamp(mesh_task_cost_usd_count{flow="invoice"})');
    const at = new Date(Math.round(Number(last!.value[1]) * 1000)).toISOString();
    const fromPrometheus = await run(process.execPath, [mesh, "cost", "--prometheus", prom.url, "--window", "1h", "--at", at, "--json"]);
    const flows = JSON.parse(fromPrometheus.stdout) as Record<string, FlowCost>;
    assert.equal(flows.invoice?.tasks, 14, "both runs of the agent");
    assert.equal(flows.invoice?.reviews, 4);
    assert.ok(Math.abs(flows.invoice!.modelUsd - 0.14) < 1e-9, `model spend ${flows.invoice?.modelUsd}`);

    const scraped = JSON.parse((await run(process.execPath, [mesh, "cost", "--metrics", `http://127.0.0.1:${port}/metrics`, "--json"])).stdout) as Record<string, FlowCost>;
    assert.equal(scraped.invoice?.tasks, 4, "a scrape sees only the counters since the restart");

    const text = await run(process.execPath, [mesh, "cost", "--prometheus", prom.url, "--window", "1h", "--at", at]);
    assert.match(text.stdout, /^invoice\s+14\s/m);
    assert.match(text.stdout, /from Prometheus .*increase over 1h/);
  },
);

test("mesh cost --prometheus at a URL that is not Prometheus' API fails, naming the URL and what it answered", { skip: !prometheusBin && "prometheus not installed", timeout: 60_000 }, async (t) => {
  const prom = await startPrometheus(t, {});
  await assert.rejects(
    run(process.execPath, [mesh, "cost", "--prometheus", `${prom.url}/nowhere/`]),
    (err: { code: number; stderr: string }) => err.code === 1 && /Prometheus at .*\/nowhere\/ answered 404/.test(err.stderr),
  );
});
