import { z } from "zod";
import { MeshError, describeIssues } from "../../shared/runtime/index.js";
import type { GateSettings } from "./promotion-gate.js";

const int = (min: number) => z.coerce.number().int().min(min);

const intentFloorsSchema = z.record(z.string().min(1), z.number().min(0).max(1));

export const trainerSettingsSchema = z.object({
  /** Retrain once this many new inputs have been labelled... */
  TRAINER_MIN_LABELS: int(1).default(50),
  /** ...or when this long has passed since the last training and at least one new label came in. */
  TRAINER_INTERVAL_MS: int(1000).default(24 * 3600_000),
  /** The classifier the labels train (the name agents load and hot-swap). */
  TRAINER_MODEL: z.string().regex(/^[a-z][a-z0-9-]*$/).default("ticket-intent"),
  /** Precision the new model's auto-accept threshold is chosen for. */
  TRAINER_TARGET_PRECISION: z.coerce.number().gt(0.5).max(1).default(0.97),
  /** How often the trainer checks whether a training is due (labels arrive and intervals pass in between). */
  TRAINER_CHECK_MS: int(100).default(10_000),
  /** A training that held the lock longer than this is presumed dead (its process crashed). */
  TRAINER_LOCK_TTL_MS: int(1000).default(15 * 60_000),
  /** Promotion gate: how far under the champion's precision at threshold a challenger may fall (holdout noise). */
  TRAINER_PRECISION_MARGIN: z.coerce.number().min(0).max(0.1).default(0.005),
  /** Promotion gate: how far under the champion's coverage a challenger may fall. */
  TRAINER_COVERAGE_MARGIN: z.coerce.number().min(0).max(0.2).default(0.01),
  /** Promotion gate: the one-sided McNemar p-value a challenger must reach to count as better. */
  TRAINER_SIGNIFICANCE: z.coerce.number().gt(0).max(0.5).default(0.05),
  /**
   * Promotion gate: JSON intent → lowest precision among the tickets auto-handled as it. Unset (the default): the
   * intents the policy in force asks two approvers for, each at TRAINER_TARGET_PRECISION (intent-floors.ts).
   */
  TRAINER_INTENT_FLOORS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: "custom", message: "is not JSON (want {\"intent\": floor, ...})" });
        return z.NEVER;
      }
      const parsed = intentFloorsSchema.safeParse(value);
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: describeIssues(parsed.error.issues) });
        return z.NEVER;
      }
      return parsed.data;
    }),
});
export type TrainerSettings = z.infer<typeof trainerSettingsSchema>;

/** `derivedFloors`: the policy's high-risk intents at the target precision, used unless TRAINER_INTENT_FLOORS says otherwise. */
export function gateSettings(s: TrainerSettings, derivedFloors: Readonly<Record<string, number>>): GateSettings {
  return {
    targetPrecision: s.TRAINER_TARGET_PRECISION,
    precisionMargin: s.TRAINER_PRECISION_MARGIN,
    coverageMargin: s.TRAINER_COVERAGE_MARGIN,
    significance: s.TRAINER_SIGNIFICANCE,
    intentFloors: s.TRAINER_INTENT_FLOORS ?? derivedFloors,
  };
}

export function parseTrainerSettings(env: Readonly<Record<string, string | undefined>>): TrainerSettings {
  const parsed = trainerSettingsSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", `trainer settings: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
