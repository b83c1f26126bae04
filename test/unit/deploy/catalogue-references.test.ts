import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { catalogue } from "../../../shared/telemetry/index.js";
import { grafanaQueryMetricNames, promqlMetricNames } from "./promql-names.js";

const deploy = join(import.meta.dirname, "../../../deploy");
const rulesDir = join(deploy, "prometheus/rules");

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}

function rules(): Rule[] {
  return readdirSync(rulesDir)
    .filter((f) => f.endsWith(".yml"))
    .flatMap((f) => (parse(readFileSync(join(rulesDir, f), "utf8")) as { groups: { rules: Rule[] }[] }).groups)
    .flatMap((g) => g.rules);
}

/** Catalogue names, histogram series suffixes, recording rules, and the one series Prometheus makes itself. */
function known(): Set<string> {
  const names = new Set<string>(["up"]);
  for (const [name, spec] of Object.entries(catalogue)) {
    names.add(name);
    if (spec.kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
  }
  for (const r of rules()) if (r.record) names.add(r.record);
  return names;
}

function unknownIn(names: Iterable<string>, allowed: Set<string>): string[] {
  return [...names].filter((n) => !allowed.has(n));
}

test("the name extractor finds metrics and skips functions, labels, durations and variables", () => {
  assert.deepEqual(
    [...promqlMetricNames('histogram_quantile(0.99, sum by (tier, le) (rate(a_seconds_bucket{le="10"}[5m]))) > 1e3 and b offset 5m')].sort(),
    ["a_seconds_bucket", "b"],
  );
  assert.deepEqual([...promqlMetricNames('sum by (flow) (rate(x_total{flow=~"$flow"}[$__rate_interval])) / y')], ["x_total", "y"]);
  assert.deepEqual([...grafanaQueryMetricNames("label_values(mesh_tasks_total, flow)")], ["mesh_tasks_total"]);
});

test("a name outside the catalogue is caught", () => {
  assert.deepEqual(unknownIn(promqlMetricNames("rate(mesh_tasks_total[5m]) / rate(mesh_taks_total[5m])"), known()), [
    "mesh_taks_total",
  ]);
  assert.deepEqual(unknownIn(["mesh_tasks_total_bucket"], known()), ["mesh_tasks_total_bucket"], "counters have no buckets");
});

test("alert and recording rules reference only catalogued metrics", () => {
  const allowed = known();
  const all = rules();
  assert.ok(all.length >= 10);
  for (const r of all) {
    assert.deepEqual(unknownIn(promqlMetricNames(r.expr), allowed), [], r.alert ?? r.record);
  }
});

test("the Grafana dashboard references only catalogued metrics and covers the operator's questions", () => {
  const dash = JSON.parse(readFileSync(join(deploy, "grafana/meshwork-dashboard.json"), "utf8")) as {
    panels: { title: string; type: string; targets?: { expr: string }[] }[];
    templating: { list: { query: unknown }[] };
  };
  const allowed = known();
  const used = new Set<string>();
  for (const p of dash.panels) {
    for (const t of p.targets ?? []) {
      const names = promqlMetricNames(t.expr);
      assert.ok(names.size > 0, `${p.title}: a target that reads no metric`);
      assert.deepEqual(unknownIn(names, allowed), [], `${p.title}: ${t.expr}`);
      names.forEach((n) => used.add(n.replace(/_(bucket|sum|count)$/, "")));
    }
  }
  for (const v of dash.templating.list) {
    const q = typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (q && q !== "prometheus") assert.deepEqual(unknownIn(grafanaQueryMetricNames(q), allowed), [], q);
  }
  for (const topic of [
    "mesh_tasks_total",
    "mesh_task_duration_seconds",
    "mesh_task_cost_usd",
    "mesh_escalations_total",
    "mesh_correction_rate",
    "mesh_dlq_messages_total",
    "mesh_review_queue_depth",
    "mesh_review_sla_breaches_total",
    "mesh_drift_psi",
    "mesh_consumer_pending_messages",
    "mesh_breaker_state",
    "mesh_model_latency_seconds",
  ]) {
    assert.ok(used.has(topic), `dashboard has no panel over ${topic}`);
  }
});
