import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { catalogue, type MetricName } from "./catalogue.js";

type Handle<N extends MetricName> = (typeof catalogue)[N]["kind"] extends "counter"
  ? Counter<string>
  : (typeof catalogue)[N]["kind"] extends "gauge"
    ? Gauge<string>
    : Histogram<string>;

export type MeshMetrics = { readonly registry: Registry } & { readonly [N in MetricName]: Handle<N> };

/**
 * prom-client's defaults include gauges named `_total`, which `promtool check metrics` rejects; the same
 * figures stay available per type as `nodejs_active_handles{type}` and friends.
 */
const LINT_FAILING_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** Builds every catalogued metric on a fresh registry, so each agent process (and each test) owns its own. */
export function createMetrics(defaultLabels: Record<string, string> = {}): MeshMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  const handles: Record<string, unknown> = { registry };
  for (const [name, spec] of Object.entries(catalogue)) {
    const common = { name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    handles[name] =
      spec.kind === "counter"
        ? new Counter(common)
        : spec.kind === "gauge"
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...("buckets" in spec ? spec.buckets : [])] });
  }
  return handles as MeshMetrics;
}
