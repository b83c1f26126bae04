import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kustomize, type K8sObject } from "./kustomize.js";
import { schemaProblem } from "./k8s-schema.js";

const deployK8s = join(import.meta.dirname, "../../../deploy/k8s");

async function problems(docs: K8sObject[]): Promise<string[]> {
  const found = await Promise.all(docs.map(async (d) => [d, await schemaProblem(d)] as const));
  return found.filter(([, p]) => p !== undefined).map(([d, p]) => `${d.kind} ${d.metadata?.name}: ${p}`);
}

test("every object deploy/k8s renders is valid against the Kubernetes, KEDA or Prometheus Operator schema of its kind", async () => {
  const docs = kustomize(deployK8s);
  const kinds = new Set(docs.map((d) => d.kind));
  for (const kind of ["Deployment", "PodDisruptionBudget", "ScaledObject", "NetworkPolicy", "PodMonitor", "PrometheusRule", "Job", "ConfigMap"])
    assert.ok(kinds.has(kind), `nothing of kind ${kind} rendered`);
  assert.deepEqual(await problems(docs), []);
});

test("the schema check refuses a planted mistake: a Deployment whose replicas is text and whose container has no image", async () => {
  const planted = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "broken" },
    spec: { replicas: "three", selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "agent" }] } } },
  };
  assert.match((await schemaProblem(planted)) ?? "", /replicas/);
});

test("a planted ScaledObject whose lag threshold is a number, rendered from a kustomization, is refused by the KEDA schema", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kustomize-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "kustomization.yaml"), "resources:\n  - scaled-object.yaml\n");
  writeFileSync(
    join(dir, "scaled-object.yaml"),
    `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: planted }
spec:
  scaleTargetRef: { name: meshwork-invoice }
  minReplicaCount: 2
  triggers:
    - type: nats-jetstream
      metadata: { natsServerMonitoringEndpoint: "nats:8222", stream: MESH_TASK, consumer: invoice, lagThreshold: 100 }
`,
  );
  const [problem] = await problems(kustomize(dir));
  assert.match(problem ?? "", /ScaledObject planted: .*lagThreshold/);
});

test("an object of a kind no schema knows is refused, not passed", async () => {
  assert.match((await schemaProblem({ apiVersion: "example.com/v1", kind: "Widget" })) ?? "", /no schema for apiVersion example.com\/v1/);
});
