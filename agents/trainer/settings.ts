import { z } from "zod";
import { MeshError, describeIssues } from "../../shared/runtime/index.js";

const int = (min: number) => z.coerce.number().int().min(min);

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
});
export type TrainerSettings = z.infer<typeof trainerSettingsSchema>;

export function parseTrainerSettings(env: Readonly<Record<string, string | undefined>>): TrainerSettings {
  const parsed = trainerSettingsSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", `trainer settings: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
