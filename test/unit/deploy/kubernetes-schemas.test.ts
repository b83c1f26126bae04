import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { run, which } from "./tools.js";

const kubectl = which("kubectl");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
}

/**
 * Checks one object offline against the Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models, a
 * well-kept typed copy of the upstream schemas); resolves to the problem, or undefined when it is valid.
 */
async function schemaProblem(doc: Manifest): Promise<string | undefined> {
  const module = doc.apiVersion === "v1" ? "kubernetes-models/v1" : `kubernetes-models/${doc.apiVersion}`;
  const models = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = models[doc.kind];
  if (!Model) return `no schema for ${doc.apiVersion} ${doc.kind}`;
  try {
    new Model(doc).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test("every object kustomize renders from deploy/k8s is valid against the Kubernetes schema of its kind", { skip: !kubectl && "kubectl not installed" }, async () => {
  const r = run(kubectl!, ["kustomize", join(import.meta.dirname, "../../../deploy/k8s")]);
  assert.equal(r.code, 0, r.out);
  const docs = parseAllDocuments(r.out).map((d) => d.toJSON() as Manifest);
  assert.ok(docs.length >= 10, `rendered ${docs.length} objects`);
  for (const doc of docs) assert.equal(await schemaProblem(doc), undefined, `${doc.kind} ${doc.metadata?.name}`);
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
