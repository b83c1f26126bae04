import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { run, which } from "./tools.js";

const kubectl = which("kubectl");
const agents = ["ingest", "invoice", "triage", "review", "trainer"];

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, any>; // manifests are open-ended; the assertions say what must be there
}

function render(): Doc[] {
  const r = run(kubectl!, ["kustomize", join(import.meta.dirname, "../../../deploy/k8s")]);
  assert.equal(r.code, 0, r.out);
  return parseAllDocuments(r.out).map((d) => d.toJSON() as Doc);
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

test("kustomize renders one probed, resourced, scrape-annotated Deployment per agent type", { skip: !kubectl && "kubectl not installed" }, () => {
  const docs = render();
  const deployments = docs.filter((d) => d.kind === "Deployment");
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), agents.map((a) => `meshwork-${a}`).sort());
  for (const a of agents) {
    const d = deployments.find((x) => x.metadata.name === `meshwork-${a}`)!;
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
    const configName = c.envFrom[0].configMapRef.name;
    const config = docs.find((x) => x.kind === "ConfigMap" && x.metadata.name === configName) as unknown as { data: Record<string, string> };
    assert.ok(config, `${a}: ${configName} is not rendered`);
    assert.equal(config.data.STREAM_REPLICAS, "3");
    assert.ok(Number(config.data.SHUTDOWN_GRACE_MS) / 1000 < pod.spec.terminationGracePeriodSeconds, `${a}: drain outlives the grace period`);
  }
});

test("each agent type has a disruption budget over its own pods only, and all but the trainer autoscale", { skip: !kubectl && "kubectl not installed" }, () => {
  const docs = render();
  const pods = new Map(
    docs.filter((d) => d.kind === "Deployment").map((d) => [d.metadata.name, d.spec.template.metadata.labels as Record<string, string>]),
  );
  for (const a of agents) {
    const name = `meshwork-${a}`;
    const pdb = docs.find((d) => d.kind === "PodDisruptionBudget" && d.metadata.name === name);
    assert.ok(pdb, `${a}: no PodDisruptionBudget`);
    const covered = [...pods].filter(([, labels]) => matches(pdb.spec.selector.matchLabels, labels)).map(([n]) => n);
    assert.deepEqual(covered, [name]);
    const hpa = docs.find((d) => d.kind === "HorizontalPodAutoscaler" && d.metadata.name === name);
    if (a === "trainer") {
      assert.equal(hpa, undefined, "two trainers would race to publish model versions");
      assert.equal(docs.find((d) => d.metadata.name === name && d.kind === "Deployment")!.spec.replicas, 1);
    } else {
      assert.ok(hpa, `${a}: no HorizontalPodAutoscaler`);
      assert.equal(hpa.spec.scaleTargetRef.name, name);
      assert.ok(hpa.spec.minReplicas >= 2, `${a}: an HPA floor of one leaves the PDB nothing to protect`);
    }
  }
});
