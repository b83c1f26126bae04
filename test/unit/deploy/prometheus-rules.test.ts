import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { run, which } from "./tools.js";

const promtool = which("promtool");
const skip = !promtool && "promtool not installed (Debian package prometheus)";
const dir = join(import.meta.dirname, "../../../deploy/prometheus");
const ruleFiles = readdirSync(join(dir, "rules")).filter((f) => f.endsWith(".yml")).map((f) => `rules/${f}`);
const testFiles = readdirSync(join(dir, "tests")).filter((f) => f.endsWith(".yml")).map((f) => `tests/${f}`);

test("promtool check rules accepts every rule file", { skip }, () => {
  const r = run(promtool!, ["check", "rules", ...ruleFiles], { cwd: dir });
  assert.equal(r.code, 0, r.out);
});

test("promtool test rules passes for every alert rule test", { skip }, () => {
  const r = run(promtool!, ["test", "rules", ...testFiles], { cwd: dir });
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.match(/SUCCESS/g)?.length, testFiles.length, r.out);
});

test("promtool check config accepts the compose scrape config", { skip }, () => {
  const r = run(promtool!, ["check", "config", "prometheus.yml"], { cwd: dir });
  assert.equal(r.code, 0, r.out);
});

test("every alert has a unit test that expects it to fire and one that expects silence", () => {
  const alerts = ruleFiles.flatMap((f) =>
    (parse(readFileSync(join(dir, f), "utf8")) as { groups: { rules: { alert?: string }[] }[] }).groups
      .flatMap((g) => g.rules)
      .flatMap((r) => (r.alert ? [r.alert] : [])),
  );
  const cases = testFiles.flatMap((f) =>
    (parse(readFileSync(join(dir, f), "utf8")) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests
      .flatMap((t) => t.alert_rule_test ?? []),
  );
  for (const name of [
    "MeshTaskLatencySLOFastBurn",
    "MeshModelLatencyP99High",
    "MeshDeadLettersGrowing",
    "MeshReviewSLABreached",
    "MeshInputDrift",
    "MeshConsumerLagHigh",
  ]) {
    assert.ok(alerts.includes(name), `required alert ${name} is missing`);
  }
  for (const name of alerts) {
    const mine = cases.filter((c) => c.alertname === name);
    assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${name}: no test expects it to fire`);
    assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${name}: no test expects it to stay silent`);
  }
});

test("the Kubernetes scrape config keeps only annotated pods and labels them by agent", () => {
  const cfg = parse(readFileSync(join(dir, "prometheus-kubernetes.yml"), "utf8")) as {
    rule_files: string[];
    scrape_configs: { kubernetes_sd_configs?: { role: string }[]; relabel_configs: { action?: string; source_labels?: string[]; target_label?: string }[] }[];
  };
  assert.deepEqual(cfg.rule_files, ["rules/*.yml"]);
  const job = cfg.scrape_configs.find((j) => j.kubernetes_sd_configs?.[0]?.role === "pod");
  assert.ok(job, "no pod discovery job");
  assert.ok(job.relabel_configs.some((r) => r.action === "keep" && r.source_labels?.[0] === "__meta_kubernetes_pod_annotation_prometheus_io_scrape"));
  assert.ok(job.relabel_configs.some((r) => r.target_label === "agent"));
});
