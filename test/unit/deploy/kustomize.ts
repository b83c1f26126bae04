import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";

/** A Kubernetes object as read from YAML; its shape is checked by the schema validation, not here. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [field: string]: any };

// YAML 1.1, as kubectl and the API server read it: `defaultMode: 0400` is octal 256 there, decimal 400 in YAML 1.2.
const parse = (text: string) => parseYaml(text, { version: "1.1" });

type JsonPatchOp = { op: "replace" | "add" | "remove"; path: string; value?: unknown };

// The kustomization fields deploy/k8s uses. Any other field is refused, so this reader can never quietly render
// something other than what kustomize would (test/unit/deploy/kustomize.test.ts compares the two where kubectl is).
const known = new Set(["apiVersion", "kind", "namespace", "resources", "configMapGenerator", "images", "nameSuffix", "labels", "patches"]);

// Where kustomize's `labels` with includeSelectors writes, for the kinds deploy/k8s has.
const selectorPaths: Record<string, string[][]> = {
  Deployment: [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"], ["spec", "template", "spec", "topologySpreadConstraints", "0", "labelSelector", "matchLabels"]],
  PodDisruptionBudget: [["spec", "selector", "matchLabels"]],
};

/**
 * Renders a kustomization directory without kubectl: its resources (files and nested kustomizations), generated
 * ConfigMaps (unhashed names), JSON 6902 and `$patch: delete` patches, name suffix, labels, namespace and images.
 */
export function kustomize(dir: string): K8sObject[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<string, any>;
  const unknown = Object.keys(k).filter((key) => !known.has(key));
  if (unknown.length) throw new Error(`${dir}/kustomization.yaml: fields ${unknown.join(", ")} are not understood by this reader`);
  let objects: K8sObject[] = (k.resources ?? []).flatMap((r: string) => {
    const path = join(dir, r);
    return statSync(path).isDirectory() ? kustomize(path) : parseAllDocuments(readFileSync(path, "utf8"), { version: "1.1" }).map((d) => d.toJSON() as K8sObject);
  });
  for (const g of k.configMapGenerator ?? []) {
    const data = Object.fromEntries((g.literals as string[]).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name }, data });
  }
  for (const p of k.patches ?? []) objects = applyPatch(objects, p.target.kind as string, parse(p.patch as string));
  for (const o of objects) {
    if (k.nameSuffix) o.metadata.name += k.nameSuffix;
    for (const { pairs, includeSelectors } of k.labels ?? []) {
      o.metadata.labels = { ...o.metadata.labels, ...pairs };
      if (includeSelectors) for (const path of selectorPaths[o.kind] ?? []) Object.assign(at(o, path), pairs);
    }
    if (k.namespace && o.kind !== "Namespace") o.metadata.namespace = k.namespace;
    for (const image of k.images ?? []) {
      for (const c of o.spec?.template?.spec?.containers ?? [])
        if (c.image.split(":")[0] === image.name) c.image = `${image.newName ?? image.name}:${image.newTag ?? "latest"}`;
    }
  }
  return objects;
}

function applyPatch(objects: K8sObject[], kind: string, patch: JsonPatchOp[] | { $patch?: string; metadata: { name: string } }): K8sObject[] {
  if (!Array.isArray(patch)) {
    if (patch.$patch !== "delete") throw new Error(`a strategic merge patch other than $patch: delete is not understood by this reader`);
    return objects.filter((o) => !(o.kind === kind && o.metadata.name === patch.metadata.name));
  }
  for (const o of objects.filter((x) => x.kind === kind)) {
    for (const op of patch) {
      const keys = op.path.split("/").slice(1);
      const parent = at(o, keys.slice(0, -1));
      const last = keys[keys.length - 1]!;
      if (op.op === "replace" && !(last in parent)) throw new Error(`${kind} ${o.metadata.name}: replace ${op.path}: no such field`);
      // RFC 6902: in an array, "add" inserts (at "-": appends) and "remove" takes the element out.
      if (Array.isArray(parent) && op.op !== "replace") {
        const index = last === "-" ? parent.length : Number(last);
        if (op.op === "remove") parent.splice(index, 1);
        else parent.splice(index, 0, op.value);
      } else if (op.op === "remove") delete parent[last];
      else parent[last] = op.value;
    }
  }
  return objects;
}

function at(o: any, keys: string[]): any {
  return keys.reduce((node, key) => {
    if (node?.[key] === undefined) throw new Error(`no field ${keys.join("/")}`);
    return node[key];
  }, o);
}
