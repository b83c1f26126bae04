import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { listAgents, loadAgentDefinition } from "../../../shared/runtime/index.js";
import { consumerSpecs } from "../../../shared/runtime/consumer-specs.js";
import { renderPrometheusRule, prometheusRulePath } from "../../../scripts/render-prometheus-rule.js";
import { kustomize, type K8sObject } from "./kustomize.js";
import { defaultPolicyPath, parsePolicyDocument } from "../../../policy/index.js";

const deployDir = join(import.meta.dirname, "../../../deploy");
const docs = kustomize(join(deployDir, "k8s"));
const agents = listAgents();
/** Agents the shipped policy permits a model call or an external tool call: the only ones whose pods need egress. */
const reachesOut = new Set(
  parsePolicyDocument(readFileSync(defaultPolicyPath, "utf8"))
    .rules.filter((r) => r.effect === "permit" && (r.actions === "*" || r.actions.some((a) => a === "model.invoke" || a === "tool.call")))
    .flatMap((r) => r.principals ?? []),
);
const of = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const config = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "meshwork-config")!.data as Record<string, string>;

test("deploy/k8s has one probed, resourced, scrape-annotated Deployment per agent folder", () => {
  assert.deepEqual(docs.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name).sort(), agents.map((a) => `meshwork-${a}`));
  for (const a of agents) {
    const d = of("Deployment", `meshwork-${a}`)!;
    assert.equal(d.metadata.namespace, "meshwork");
    const pod = d.spec.template;
    const c = pod.spec.containers[0];
    assert.equal(c.env.find((e: { name: string }) => e.name === "AGENT").value, a);
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${a}: resources`);
    assert.equal(pod.metadata.annotations["prometheus.io/scrape"], "true");
    assert.equal(Number(pod.metadata.annotations["prometheus.io/port"]), c.ports[0].containerPort);
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.ok(matches(d.spec.selector.matchLabels, pod.metadata.labels), `${a}: selector does not match its pods`);
    assert.equal(c.envFrom[0].configMapRef.name, "meshwork-config");
  }
});

test("the kubelet's kill comes after the preStop pause and a drain that outlasts the longest task (a whole ack wait)", () => {
  const ackWaitMs = Number(config.ACK_WAIT_MS);
  const drainMs = Number(config.SHUTDOWN_GRACE_MS);
  assert.ok(drainMs > ackWaitMs, `SHUTDOWN_GRACE_MS ${drainMs} does not outlast ACK_WAIT_MS ${ackWaitMs}`);
  for (const a of agents) {
    const pod = of("Deployment", `meshwork-${a}`)!.spec.template.spec;
    const preStopS = pod.containers[0].lifecycle.preStop.sleep.seconds as number;
    assert.ok(preStopS + drainMs / 1000 < pod.terminationGracePeriodSeconds, `${a}: ${preStopS} s + ${drainMs} ms ≥ ${pod.terminationGracePeriodSeconds} s`);
  }
});

test("each agent reads its own nkey seed from its own Secret, the init Job the operator's, and no Secret is committed", () => {
  assert.equal(docs.filter((d) => d.kind === "Secret").length, 0);
  for (const a of agents) {
    const env = of("Deployment", `meshwork-${a}`)!.spec.template.spec.containers[0].env as { name: string; valueFrom?: any }[];
    assert.deepEqual(env.find((e) => e.name === "MESH_IDENTITY_SEED")?.valueFrom, { secretKeyRef: { name: `meshwork-identity-${a}`, key: "seed" } });
  }
  const init = of("Job", "meshwork-init")!.spec.template.spec.containers[0].env as { name: string; valueFrom?: any }[];
  assert.deepEqual(init.find((e) => e.name === "NATS_NKEY_SEED")?.valueFrom, { secretKeyRef: { name: "meshwork-operator", key: "seed" } });
});

test("each agent has a disruption budget over its own pods only, and all but the single trainer scale on their consumer's lag", async () => {
  const pods = new Map(docs.filter((d) => d.kind === "Deployment").map((d) => [d.metadata.name, d.spec.template.metadata.labels as Record<string, string>]));
  assert.equal(docs.filter((d) => d.kind === "HorizontalPodAutoscaler").length, 0, "a second autoscaler would fight KEDA's");
  for (const a of agents) {
    const name = `meshwork-${a}`;
    const pdb = of("PodDisruptionBudget", name);
    assert.ok(pdb, `${a}: no PodDisruptionBudget`);
    assert.deepEqual([...pods].filter(([, labels]) => matches(pdb.spec.selector.matchLabels, labels)).map(([n]) => n), [name]);
    const scaler = of("ScaledObject", name);
    if (a === "trainer") {
      assert.equal(scaler, undefined, "two trainers would race to publish model versions");
      assert.equal(of("Deployment", name)!.spec.replicas, 1);
      continue;
    }
    assert.ok(scaler, `${a}: no ScaledObject`);
    assert.equal(scaler.spec.scaleTargetRef.name, name);
    assert.ok(scaler.spec.minReplicaCount >= 2, `${a}: a floor of one leaves the PDB nothing to protect`);
    const [trigger] = scaler.spec.triggers;
    const main = consumerSpecs(await loadAgentDefinition(a)).find((s) => s.role === "main")!;
    assert.equal(trigger.type, "nats-jetstream");
    assert.deepEqual({ stream: trigger.metadata.stream, consumer: trigger.metadata.consumer }, { stream: main.stream, consumer: main.durable });
  }
});

test("network policy: meshwork pods reach only NATS and DNS, only agents the policy lets call a model or an external tool reach out on 443, and only Prometheus scrapes them", async () => {
  const policies = docs.filter((d) => d.kind === "NetworkPolicy");
  const selects = (p: K8sObject, labels: Record<string, string>) =>
    matches(p.spec.podSelector.matchLabels ?? {}, labels) &&
    (p.spec.podSelector.matchExpressions ?? []).every((e: { key: string; values: string[] }) => e.values.includes(labels[e.key]!));
  for (const a of agents) {
    const labels = of("Deployment", `meshwork-${a}`)!.spec.template.metadata.labels;
    const mine = policies.filter((p) => selects(p, labels));
    const ingress = mine.flatMap((p) => p.spec.ingress ?? []);
    assert.deepEqual(ingress.flatMap((r: any) => r.from.map((f: any) => f.podSelector.matchLabels)), [{ "app.kubernetes.io/name": "prometheus" }], `${a}: ingress`);
    assert.deepEqual(ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)), [9464]);
    const egress = mine.flatMap((p) => p.spec.egress ?? []).flatMap((r: any) => r.ports.map((port: any) => `${port.protocol}/${port.port}`));
    assert.deepEqual(egress.sort(), ["TCP/4222", "TCP/53", "UDP/53", ...(reachesOut.has(a) ? ["TCP/443"] : [])].sort(), `${a}: egress`);
    assert.ok(mine.every((p) => p.spec.policyTypes.includes("Egress")), `${a}: egress not restricted`);
  }
  const init = of("Job", "meshwork-init")!.spec.template.metadata.labels;
  assert.ok(policies.some((p) => selects(p, init)), "the init Job is not restricted");
});

test("the PodMonitor scrapes the agents' metrics port, and the PrometheusRule is the current rendering of deploy/prometheus/rules", () => {
  const monitor = docs.find((d) => d.kind === "PodMonitor")!;
  const pod = of("Deployment", "meshwork-invoice")!.spec.template;
  assert.ok(matches(monitor.spec.selector.matchLabels, pod.metadata.labels));
  assert.equal(monitor.spec.podMetricsEndpoints[0].port, pod.spec.containers[0].ports[0].name);
  assert.equal(readFileSync(prometheusRulePath, "utf8"), renderPrometheusRule(), "stale: run npx tsx scripts/render-prometheus-rule.ts");
});

test("the NATS Helm values run 3 clustered JetStream nodes on file storage with a disruption budget", () => {
  const values = parse(readFileSync(join(deployDir, "k8s/nats/values.yaml"), "utf8"));
  assert.equal(values.config.cluster.enabled, true);
  assert.equal(values.config.cluster.replicas, 3);
  assert.equal(values.config.jetstream.fileStore.enabled, true);
  assert.equal(values.config.jetstream.fileStore.pvc.enabled, true);
  assert.equal(values.podDisruptionBudget.enabled, true);
  assert.equal(values.config.monitor.port, 8222);
  assert.ok(docs.filter((d) => d.kind === "ScaledObject").every((s) => s.spec.triggers[0].metadata.natsServerMonitoringEndpoint.endsWith(":8222")));
});
