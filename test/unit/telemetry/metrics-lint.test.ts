import { test } from "node:test";
import assert from "node:assert/strict";
import { catalogue, createMetrics, type MetricName } from "../../../shared/telemetry/index.js";
import { run, which } from "../deploy/tools.js";

const promtool = which("promtool");

/** One sample in every catalogued metric, with every label set, so the linter sees each family populated. */
async function populatedExposition(): Promise<string> {
  const metrics = createMetrics({ service: "invoice" });
  for (const name of Object.keys(catalogue) as MetricName[]) {
    const spec = catalogue[name];
    const labels = Object.fromEntries(spec.labels.map((l) => [l, `x_${l}`]));
    const handle = metrics[name] as unknown as {
      inc?: (l: object, v: number) => void;
      set?: (l: object, v: number) => void;
      observe?: (l: object, v: number) => void;
    };
    if (spec.kind === "counter") handle.inc!(labels, 3);
    else if (spec.kind === "gauge") handle.set!(labels, 1.5);
    else handle.observe!(labels, 0.2);
  }
  return metrics.registry.metrics();
}

test("every catalogued metric is exported with its kind", async () => {
  const text = await populatedExposition();
  for (const [name, spec] of Object.entries(catalogue)) {
    assert.match(text, new RegExp(`^# TYPE ${name} ${spec.kind}$`, "m"), name);
  }
});

test("promtool check metrics accepts the project's registry", { skip: !promtool && "promtool not installed (Debian package prometheus)" }, async () => {
  const r = run(promtool!, ["check", "metrics"], { input: await populatedExposition() });
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), "", r.out);
});

test("catalogue names follow Prometheus conventions", () => {
  for (const [name, spec] of Object.entries(catalogue)) {
    assert.match(name, /^mesh_[a-z][a-z0-9_]*$/, name);
    assert.equal(name.endsWith("_total"), spec.kind === "counter", `${name}: _total iff counter`);
    if (spec.kind === "histogram") assert.match(name, /_(seconds|usd|bytes)$/, `${name}: histogram in base units`);
    for (const label of spec.labels) assert.doesNotMatch(label, /(^|_)id$/, `${name}: unbounded label ${label}`);
  }
});
