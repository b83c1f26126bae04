import type { z } from "zod";

/**
 * Strings that feed an envelope id, a digest or a subject must be exactly what the sender sent. A lone surrogate
 * (a `\ud800` escape in otherwise valid JSON) has no UTF-8 form: hashing it writes U+FFFD instead, so two distinct
 * source ids would share one envelope id and one event would silently vanish as a "duplicate". Such strings are
 * refused, never repaired.
 */
export const notExactMessage = "is not exactly what was sent (invalid UTF-8 or an unpaired surrogate); send well-formed UTF-8";

/** Paths of every object key or string in `value` that is not well-formed Unicode (keys feed digests too). */
export function illFormedPaths(value: unknown, path: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return value.isWellFormed() ? [] : [[...path]];
  if (Array.isArray(value)) return value.flatMap((v, i) => illFormedPaths(v, [...path, i]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => [...(k.isWellFormed() ? [] : [[...path, "(key)"]]), ...illFormedPaths(v, [...path, k])]);
  }
  return [];
}

/** A zod check for a value of any shape: each ill-formed string or key is an issue at its own path. */
export function exactStrings(value: unknown, ctx: z.RefinementCtx): void {
  for (const path of illFormedPaths(value)) ctx.addIssue({ code: "custom", message: notExactMessage, path });
}
