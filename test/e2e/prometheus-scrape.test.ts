import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { publish, subjects } from "../../shared/bus/index.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { run, which } from "../unit/deploy/tools.js";
import { prometheusBin, startPrometheus, type Prometheus } from "../helpers/prometheus.js";

const dashboard = join(import.meta.dirname, "../../deploy/grafana/meshwork-dashboard.json");

const scalar = async (prom: Prometheus, promql: string) => {
  const [first] = await prom.query(promql);
  return first ? Number(first.value[1]) : undefined;
};

test(
  "Prometheus scrapes two running agents; PromQL returns their task counters and a handler-time quantile",
  { skip: !prometheusBin && "prometheus not installed (Debian package prometheus)", timeout: 180_000 },
  async (t) => {
    const nats = await startNats(t);
    const mesh = await startAgents(t, nats, ["ingest", "invoice"]);
    const prom = await startPrometheus(t, {
      ingest: mesh.get("ingest").httpPort,
      invoice: mesh.get("invoice").httpPort,
    });
    await waitFor("both agents scraped", async () => (await prom.query('up{job="meshwork-agents"} == 1')).length === 2);

    const bus = await nats.connect();
    const events = invoiceEvents(80);
    const expected = { completed: 0, escalated: 0 };
    events.forEach((_, i) => (expected[expectedInvoiceOutcome(i)] += 1));
    // Two waves with a scrape between them, so rate() over the window sees the histogram grow.
    for (const [wave, slice] of [events.slice(0, 40), events.slice(40)].entries()) {
      await Promise.all(slice.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `prom-${wave}-${i}` })));
      const want = (wave + 1) * 40;
      await waitFor(`${want} outcomes`, async () => (await outcomes(bus, "invoice")).total >= want);
      // Each agent counts a task after its ack, and each is scraped on its own clock: wait for both.
      const seen = () => prom.query('sum by (agent) (mesh_tasks_total{job="meshwork-agents",flow="invoice"})');
      await waitFor(
        `Prometheus to see ${want} tasks at ingest and at invoice`,
        async () => {
          const counts = Object.fromEntries((await seen()).map((r) => [r.metric.agent, Number(r.value[1])]));
          return counts.ingest === want && counts.invoice === want;
        },
        { describe: async () => JSON.stringify(await seen()) },
      );
    }

    const byOutcome = await prom.query('sum by (outcome) (mesh_tasks_total{flow="invoice",agent="invoice"})');
    assert.deepEqual(
      Object.fromEntries(byOutcome.map((r) => [r.metric.outcome, Number(r.value[1])])),
      expected,
    );
    assert.equal(await scalar(prom, 'sum(mesh_tasks_total{flow="invoice",agent="ingest"})'), 80);
    assert.equal(await scalar(prom, 'sum(mesh_task_duration_seconds_count{agent="invoice"})'), 80);

    const p95 = await scalar(
      prom,
      'histogram_quantile(0.95, sum by (le) (rate(mesh_task_duration_seconds_bucket{agent="invoice"}[1m])))',
    );
    assert.ok(p95 !== undefined && Number.isFinite(p95), `p95 is ${p95}`);
    assert.ok(p95 > 0 && p95 <= 30, `p95 ${p95} s lies outside the histogram's finite buckets`);

    // What a running agent serves (not only a fresh registry) passes the exposition-format linter.
    const promtool = which("promtool");
    if (promtool) {
      const exposition = await (await fetch(`http://127.0.0.1:${mesh.get("invoice").httpPort}/metrics`)).text();
      const lint = run(promtool, ["check", "metrics"], { input: exposition });
      assert.equal(lint.code, 0, lint.out);
    }

    // Every dashboard query is valid PromQL for a real server, and the flow panels show this traffic.
    const panels = (JSON.parse(readFileSync(dashboard, "utf8")) as { panels: { title: string; targets?: { expr: string }[] }[] }).panels;
    const answered = new Map<string, number>();
    for (const p of panels) {
      for (const target of p.targets ?? []) {
        const expr = target.expr.replaceAll("$__rate_interval", "1m").replaceAll("$flow", ".*");
        answered.set(p.title, (answered.get(p.title) ?? 0) + (await prom.query(expr)).length);
      }
    }
    for (const title of ["Throughput (tasks/s)", "Outcomes", "Handler duration p50 / p95 / p99", "Escalation rate", "Automation hit-rate"]) {
      assert.ok((answered.get(title) ?? 0) > 0, `dashboard panel "${title}" shows no data`);
    }

    // The project's alert and recording rules load and evaluate in a real server.
    type Rules = { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    const unhealthy = async () =>
      ((await prom.get("/api/v1/rules")) as Rules).groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok");
    assert.ok(((await prom.get("/api/v1/rules")) as Rules).groups.length >= 5);
    await waitFor("every rule to evaluate healthily", async () => (await unhealthy()).length === 0, {
      timeoutMs: 15_000,
      describe: async () => JSON.stringify(await unhealthy()),
    });
  },
);
