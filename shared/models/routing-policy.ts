import { z } from "zod";
import type { LocalClassifier } from "./local-classifier.js";

/**
 * Which tier's answer is good enough: the confidence bars for the small and the large model, per flow, and the
 * key under which a routed answer may be cached (it changes whenever a bar, the small model or an endpoint does).
 */
export const thresholdsSchema = z.object({
  /** Accept the small model at or above this calibrated confidence; default: the threshold its artifact carries. */
  small: z.number().min(0).max(1.0001).optional(),
  /** Accept the large model at or above this confidence; below it a human decides. */
  large: z.number().min(0).max(1).optional(),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export interface RoutingPolicy {
  readonly thresholds: Thresholds;
  /** Per-flow overrides, e.g. a stricter bar for flows with costly mistakes. */
  readonly flows: Readonly<Record<string, Thresholds>>;
  readonly defaultLargeThreshold: number;
}

/** A flow's own bar wins, then the router-wide one, then the small model's calibrated threshold (nothing passes without one). */
export function thresholdsFor(policy: RoutingPolicy, small: LocalClassifier, flow: string): { small: number; large: number } {
  return {
    small: policy.flows[flow]?.small ?? policy.thresholds.small ?? small.threshold?.value ?? 1.0001,
    large: configuredLargeBar(policy, flow) ?? policy.defaultLargeThreshold,
  };
}

/** A bar the policy obliges on this call (drift) only ever raises the flow's own. */
export function tightened(bars: { small: number; large: number }, obliged: Tighten | undefined): { small: number; large: number } {
  return { small: Math.max(bars.small, obliged?.small ?? 0), large: Math.max(bars.large, obliged?.large ?? 0) };
}

export interface Tighten {
  readonly small?: number | undefined;
  readonly large?: number | undefined;
}

/** The large-model bar a flow or the router sets explicitly, if any (it wins over a calibration's fitted threshold). */
export function configuredLargeBar(policy: RoutingPolicy, flow: string): number | undefined {
  return policy.flows[flow]?.large ?? policy.thresholds.large;
}

/** Cache key of a routed answer: classifier and version, both bars, the endpoints' models in order, the large-model calibration. */
export function routeKey(
  classifier: string,
  small: LocalClassifier,
  thresholds: { small: number; large: number },
  endpointModels: readonly string[],
  llmCalibrationVersion?: string,
): string {
  return `${classifier}@${small.version}|${thresholds.small}|${thresholds.large}|${endpointModels.join(",")}|${llmCalibrationVersion ?? "uncalibrated"}`;
}
