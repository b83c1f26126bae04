import { ConflictError } from "../errors/index.js";
import type { StateStore } from "../bus/index.js";

/**
 * Read-modify-write of one key of an agent's state, compare-and-set on its revision: two replicas changing the same
 * key never both win; the loser reads again and re-decides. `change` sees the current value (undefined: no key) and
 * answers the next one, or undefined to leave the key alone. The agent-side twin of shared/bus/kv-cas.ts, over the
 * governed store, so every write is still decided and audited.
 * @example await changeState(state, "count", (n) => ((n as number | undefined) ?? 0) + 1)
 */
export async function changeState<T>(state: StateStore, key: string, change: (current: unknown) => T | undefined): Promise<{ readonly written: boolean; readonly value: T | undefined }> {
  for (;;) {
    const entry = await state.get(key);
    const next = change(entry?.value);
    if (next === undefined) return { written: false, value: undefined };
    try {
      if (entry) await state.update(key, next, entry.revision);
      else await state.create(key, next);
      return { written: true, value: next };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}
