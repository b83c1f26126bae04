import { createHash } from "node:crypto";
import { z } from "zod";
import { changeState, ConflictError, type StateStore } from "../../shared/runtime/index.js";

export interface PileOnSettings {
  /** Negative mentions of one thread or topic within `windowMs` that make a pile-on. */
  readonly count: number;
  readonly windowMs: number;
}

const recentSchema = z.object({ at: z.array(z.number()) });
const pauseSchema = z.object({ scope: z.string(), since: z.number(), negative: z.number().int() });
export type PileOnPause = z.infer<typeof pauseSchema>;

/**
 * Pile-on detection shared by replicas (KV `mesh_state_social`): `negative.<scope>` holds the times of the scope's
 * recent negative mentions (updated at its revision), and `pileon.<scope>` is the pause, created once, so exactly
 * one mention (the one whose count reached the threshold) is the pile-on's review item. A scope is `thread:<id>`
 * or `topic:<label>`; keys name it by digest.
 */
export function pileOnGuard(state: StateStore, settings: PileOnSettings, now = Date.now) {
  const key = (kind: string, scope: string) => `${kind}.${createHash("sha256").update(scope, "utf8").digest("hex").slice(0, 32)}`;
  return {
    /** The pause on `scope`, if one is in force. */
    async paused(scope: string): Promise<PileOnPause | undefined> {
      const parsed = pauseSchema.safeParse((await state.get(key("pileon", scope)))?.value);
      return parsed.success ? parsed.data : undefined;
    },
    /** Counts a negative mention on `scope`; true for the one call whose mention started the pile-on's pause. */
    async negative(scope: string): Promise<boolean> {
      let at = 0;
      const { value: recent } = await changeState(state, key("negative", scope), (current) => {
        at = now();
        const previous = recentSchema.safeParse(current);
        return { at: [...(previous.success ? previous.data.at : []).filter((t) => t > at - settings.windowMs), at].slice(-settings.count) };
      });
      if (recent!.at.length < settings.count) return false;
      try {
        await state.create(key("pileon", scope), { scope, since: at, negative: recent!.at.length } satisfies PileOnPause);
        return true;
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
    },
    /** A human reviewed the pile-on: auto-replies on `scope` may resume. */
    async lift(scope: string): Promise<void> {
      await state.delete(key("pileon", scope));
      await state.delete(key("negative", scope));
    },
  };
}
