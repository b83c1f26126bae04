import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { kustomize, type K8sObject } from "./kustomize.js";
import { run, which } from "./tools.js";

const kubectl = which("kubectl");
const deployK8s = join(import.meta.dirname, "../../../deploy/k8s");

test("the offline kustomization reader renders deploy/k8s exactly as kubectl kustomize does (ConfigMap hash aside)", { skip: !kubectl && "kubectl not installed" }, () => {
  const r = run(kubectl!, ["kustomize", deployK8s]);
  assert.equal(r.code, 0, r.out);
  const theirs = parseAllDocuments(r.out.replace(/(meshwork-config)-[a-z0-9]{10}\b/g, "$1")).map((d) => d.toJSON() as K8sObject);
  const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
  const ours = new Map(kustomize(deployK8s).map((o) => [key(o), o]));
  assert.deepEqual([...ours.keys()].sort(), theirs.map(key).sort());
  for (const o of theirs) assert.deepEqual(ours.get(key(o)), o, key(o));
});
