import { z } from "zod";
import { ConflictError, type StateStore } from "../../shared/runtime/index.js";

/**
 * The mesh-wide switch every connector replica reads before each post (KV `mesh_state_social`, key `control`):
 * `live` posts, `shadow` drafts and audits without posting, `paused` neither (the kill switch). Written by
 * `mesh social pause|resume` and by a replica the platform answered 403.
 */
export const controlKey = "control";
export const socialModes = ["live", "shadow", "paused"] as const;
export type SocialMode = (typeof socialModes)[number];

export const controlSchema = z.object({
  mode: z.enum(socialModes),
  reason: z.string().max(500),
  by: z.string().min(1).max(200),
  at: z.iso.datetime(),
});
export type Control = z.infer<typeof controlSchema>;

/** The switch as stored, or undefined when no one set it (the replica's SOCIAL_MODE then applies). */
export async function readControl(state: StateStore): Promise<Control | undefined> {
  const entry = await state.get(controlKey);
  if (!entry) return undefined;
  const parsed = controlSchema.safeParse(entry.value);
  // A switch nobody can read stops posting: the safe reading of a corrupted kill switch is "paused".
  return parsed.success ? parsed.data : { mode: "paused", reason: "control record does not parse", by: "social", at: new Date().toISOString() };
}

/** Shared state of posting across replicas: a 429's Retry-After (key `backoff`). */
export const backoffKey = "backoff";
const backoffSchema = z.object({ until: z.number().int() });

export async function backoffUntil(state: StateStore): Promise<number> {
  const parsed = backoffSchema.safeParse((await state.get(backoffKey))?.value);
  return parsed.success ? parsed.data.until : 0;
}

/**
 * Claims `key` for `ttlMs` across every replica (KV create, or update of an expired claim at its revision): true
 * for the one caller that got it. The claim is how "one reply per thread and per author per 24 h" holds.
 */
export async function claim(state: StateStore, key: string, ttlMs: number, now = Date.now()): Promise<boolean> {
  const held = z.object({ at: z.number() });
  try {
    await state.create(key, { at: now });
    return true;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
  const entry = await state.get(key);
  const previous = held.safeParse(entry?.value);
  if (entry && previous.success && now - previous.data.at < ttlMs) return false;
  try {
    if (entry) await state.update(key, { at: now }, entry.revision);
    else await state.create(key, { at: now });
    return true;
  } catch (err) {
    if (err instanceof ConflictError) return false;
    throw err;
  }
}

/** Gives a claim back (the post it was for did not happen), so a later mention may take it. */
export async function release(state: StateStore, key: string): Promise<void> {
  await state.delete(key);
}
