import type { K8sObject } from "./kustomize.js";

// API groups whose schemas ship outside kubernetes-models itself: the CRDs of KEDA and the Prometheus Operator.
const crdPackages: Record<string, string> = {
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

/**
 * Checks one object offline against the OpenAPI schema of its apiVersion and kind (kubernetes-models, a well-kept
 * typed copy of the upstream and CRD schemas); resolves to the problem, or undefined when it is valid.
 */
export async function schemaProblem(doc: Pick<K8sObject, "apiVersion" | "kind">): Promise<string | undefined> {
  const group = doc.apiVersion.includes("/") ? doc.apiVersion.split("/")[0]! : "";
  const module = `${crdPackages[group] ?? "kubernetes-models"}/${doc.apiVersion}`;
  let models: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    models = await import(module);
  } catch {
    return `no schema for apiVersion ${doc.apiVersion}`;
  }
  const Model = models[doc.kind];
  if (!Model) return `no schema for ${doc.apiVersion} ${doc.kind}`;
  try {
    new Model(doc).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
