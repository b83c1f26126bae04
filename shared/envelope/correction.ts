import { z } from "zod";
import { randomUUID } from "node:crypto";
import { deepFreeze } from "./canonical.js";

/**
 * A change to a task is a new event naming the envelope and the digest it was made against; the envelope
 * itself never changes. Replaying an envelope plus its corrections, in order, is deterministic.
 */
export const correctionEventSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(["correction", "review-decision", "rerun"]),
  envelopeId: z.string().regex(/^env_[0-9a-f]{32}$/),
  envelopeDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Field path (dot separated) → corrected value. */
  fields: z.record(z.string(), z.unknown()),
  author: z.string().min(1),
  reason: z.string().optional(),
  at: z.iso.datetime(),
});
export type CorrectionEvent = Readonly<z.infer<typeof correctionEventSchema>>;

export function createCorrection(
  input: Omit<CorrectionEvent, "id" | "at"> & { at?: Date },
): CorrectionEvent {
  return deepFreeze(
    correctionEventSchema.parse({ ...input, id: `cor_${randomUUID()}`, at: (input.at ?? new Date()).toISOString() }),
  );
}

/** Applies corrections in order to a copy of a value, for deterministic re-runs. */
export function applyCorrections<T>(value: T, corrections: readonly CorrectionEvent[]): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const c of corrections) {
    for (const [path, v] of Object.entries(c.fields)) {
      const keys = path.split(".");
      let node = copy;
      for (const k of keys.slice(0, -1)) {
        if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
        node = node[k] as Record<string, unknown>;
      }
      node[keys.at(-1)!] = v;
    }
  }
  return copy as T;
}
