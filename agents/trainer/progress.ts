import type { Label, StateStore } from "../../shared/runtime/index.js";

/** Kept in the trainer's state: how many inputs were newly labelled since the last training, and when that was. */
export interface Progress {
  readonly newLabels: number;
  readonly lastTrainedAt: string;
  readonly lastOutcome: string | null;
  readonly lastVersion: string | null;
}

export const progressKey = "trainer.progress";
export const lockKey = "trainer.lock";

/** One key per labelled input (a relabel replaces the earlier label): `label.<hex of the input digest>`. */
export function labelKey(label: Pick<Label, "inputDigest">): string {
  return `label.${label.inputDigest.replace(/^sha256:/, "").replace(/[^A-Za-z0-9_=-]/g, "_")}`;
}

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "E_CONFLICT";
}

/**
 * Stores a label; counts it as new only the first time its input is labelled, so a redelivered label or a
 * second opinion on the same ticket does not bring the next training closer.
 */
export async function recordLabel(state: StateStore, label: Label, now: Date): Promise<Progress> {
  let isNew = true;
  try {
    await state.create(labelKey(label), label);
  } catch (err) {
    if (!isConflict(err)) throw err;
    isNew = false;
    await state.put(labelKey(label), label);
  }
  for (;;) {
    const entry = await state.get<Progress>(progressKey);
    const current: Progress = entry?.value ?? { newLabels: 0, lastTrainedAt: now.toISOString(), lastOutcome: null, lastVersion: null };
    if (!isNew && entry) return current;
    const next = { ...current, newLabels: current.newLabels + (isNew ? 1 : 0) };
    try {
      if (entry) await state.update(progressKey, next, entry.revision);
      else await state.create(progressKey, next);
      return next;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

/** Resets the count by what this training consumed (labels that arrived meanwhile still count). */
export async function recordTraining(state: StateStore, consumed: number, outcome: string, version: string | null, now: Date): Promise<void> {
  for (;;) {
    const entry = await state.get<Progress>(progressKey);
    const current = entry?.value ?? { newLabels: consumed, lastTrainedAt: now.toISOString(), lastOutcome: null, lastVersion: null };
    const next: Progress = {
      newLabels: Math.max(0, current.newLabels - consumed),
      lastTrainedAt: now.toISOString(),
      lastOutcome: outcome,
      lastVersion: version ?? current.lastVersion,
    };
    try {
      if (entry) await state.update(progressKey, next, entry.revision);
      else await state.create(progressKey, next);
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

/** One training at a time across replicas; a lock older than `ttlMs` belonged to a process that died. */
export async function acquireLock(state: StateStore, owner: string, ttlMs: number, now: Date): Promise<boolean> {
  const value = { owner, at: now.toISOString() };
  try {
    await state.create(lockKey, value);
    return true;
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const held = await state.get<{ owner: string; at: string }>(lockKey);
  if (held && now.getTime() - Date.parse(held.value.at) < ttlMs) return false;
  try {
    if (held) await state.update(lockKey, value, held.revision);
    else await state.create(lockKey, value);
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

export async function releaseLock(state: StateStore): Promise<void> {
  await state.delete(lockKey);
}

/** Where training stands, or undefined before the first label. */
export async function readProgress(state: StateStore): Promise<Progress | undefined> {
  return (await state.get<Progress>(progressKey))?.value;
}
