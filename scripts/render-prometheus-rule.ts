/**
 * deploy/k8s/monitoring/prometheus-rule.yaml is rendered from deploy/prometheus/rules/*.yml, the one source of the
 * alert rules (promtool tests them there): run `npx tsx scripts/render-prometheus-rule.ts` after changing a rule.
 * test/unit/deploy/prometheus-rule.test.ts fails while the rendered file is stale.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";

const root = join(import.meta.dirname, "..");
const rulesDir = join(root, "deploy/prometheus/rules");
export const prometheusRulePath = join(root, "deploy/k8s/monitoring/prometheus-rule.yaml");

/** The PrometheusRule object (prometheus-operator) holding every group of every rules file, in file-name order. */
export function renderPrometheusRule(): string {
  const files = readdirSync(rulesDir).filter((f) => f.endsWith(".yml")).sort();
  const groups = files.flatMap((f) => {
    const doc = parse(readFileSync(join(rulesDir, f), "utf8")) as { groups?: unknown[] } | null;
    if (!Array.isArray(doc?.groups)) throw new Error(`deploy/prometheus/rules/${f}: groups must be a list`);
    return doc.groups;
  });
  const rule = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "meshwork-rules", labels: { "app.kubernetes.io/part-of": "meshwork" } },
    spec: { groups },
  };
  return `# Rendered by scripts/render-prometheus-rule.ts from deploy/prometheus/rules/ (${files.join(", ")}): edit those, not this.\n${stringify(rule, { lineWidth: 0 })}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) writeFileSync(prometheusRulePath, renderPrometheusRule());
