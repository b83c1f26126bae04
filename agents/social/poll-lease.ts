import { z } from "zod";
import { ConflictError, type StateStore } from "../../shared/runtime/index.js";

/** KV `mesh_state_social` key `poller`: which replica polls the platform, until when, and the cursor it reached. */
export const pollerKey = "poller";
const leaseSchema = z.object({ by: z.string().min(1), until: z.number().int(), cursor: z.string().regex(/^\d+$/, "must be a Mastodon id (decimal digits)") });
type Lease = z.infer<typeof leaseSchema>;

export interface PollLease {
  /** The cursor to poll after when this replica holds (or just took) the lease; undefined when another holds it. */
  take(): Promise<string | undefined>;
  /** Stores the cursor past the mentions just submitted (only after they were: a crash re-reads them, never skips them). */
  advance(cursor: string): Promise<void>;
}

/**
 * One poller among the replicas: the lease is taken with KV create, or update at the revision read once it lapsed
 * or when it is this replica's own; it lapses `ttlMs` after the holder's last poll, so a replica that died is
 * replaced. Mentions after the cursor are submitted before it moves, so a replica taking over submits at most the
 * page the last holder was on a second time (ingest's dedupe absorbs it).
 */
export function pollLease(state: StateStore, instance: string, ttlMs: number, now = Date.now): PollLease {
  let held: { revision: number; lease: Lease } | undefined;
  const write = async (lease: Lease, revision: number | undefined): Promise<boolean> => {
    try {
      held = { revision: revision === undefined ? await state.create(pollerKey, lease) : await state.update(pollerKey, lease, revision), lease };
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  };
  return {
    async take() {
      const entry = await state.get(pollerKey);
      const parsed = leaseSchema.safeParse(entry?.value);
      // A record that does not parse names no holder and no cursor: polling starts over, and dedupe absorbs the repeats.
      const lease = parsed.success ? parsed.data : undefined;
      if (lease && lease.by !== instance && lease.until > now()) return undefined;
      const cursor = lease?.cursor ?? "0";
      return (await write({ by: instance, until: now() + ttlMs, cursor }, entry?.revision)) ? cursor : undefined;
    },
    async advance(cursor) {
      if (!held) return;
      // Lost to a replica that took over (this one was too slow): it polls from the cursor it read, nothing is lost.
      if (!(await write({ ...held.lease, until: now() + ttlMs, cursor }, held.revision))) held = undefined;
    },
  };
}
