import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { byPriority, createQueue, type QueueItem } from "../../../agents/review/queue.js";
import { watchQueueIndex } from "../../../agents/review/queue-index.js";
import { memoryStateStore } from "./memory-state-store.js";
import { ticketRequest } from "./fixtures.js";

const t0 = Date.parse("2026-01-01T10:00:00Z");
const minute = 60_000;
const alice = { id: "alice", roles: ["approver"] };

type Op =
  | { kind: "intake"; at: number; held: boolean; flow: 0 | 1 }
  | { kind: "claim" | "decide" | "forget"; pick: number }
  | { kind: "sweep"; advance: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("intake" as const), at: fc.integer({ min: 0, max: 10 * minute }), held: fc.boolean(), flow: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constantFrom("claim" as const, "decide" as const, "forget" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("sweep" as const), advance: fc.integer({ min: 0, max: 3 * minute }) }),
);

test("whatever happens to the queue, the index lists exactly the open items in priority order, with the same due, decided and per-flow figures as a read of every item", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), async (ops, startAfter) => {
      let now = t0;
      const state = memoryStateStore();
      const q = createQueue(state, { slaMs: 2 * minute, now: () => now });
      let index: Awaited<ReturnType<typeof watchQueueIndex>> | undefined;
      const ids: string[] = [];
      for (const [i, o] of ops.entries()) {
        // The index starts part-way: what was stored before arrives as its initial load, the rest as changes.
        if (i === startAfter) index = await watchQueueIndex(state);
        const id = "pick" in o && ids.length ? ids[o.pick % ids.length]! : undefined;
        try {
          if (o.kind === "intake") {
            const r = ticketRequest("text", { requestedAt: new Date(t0 + o.at).toISOString(), ...(o.held ? { code: "approval_required" } : {}) });
            const item = (await q.intake({ ...r, flow: o.flow ? "invoice" : "ticket" })).item;
            ids.push(item.id);
          } else if (o.kind === "claim" && id) await q.claim(id, alice);
          else if (o.kind === "decide" && id) {
            await q.claim(id, alice);
            await q.markDecided(id, alice, { decision: "approve", reviewer: "alice", at: new Date(now).toISOString(), leadTimeMs: 1 });
          } else if (o.kind === "forget" && id) await q.forgetDecided([id]);
          else if (o.kind === "sweep") {
            now += o.advance;
            if (index) await q.sweep(index.dueBy(now));
          }
        } catch {
          // a rule refused the change (already decided, already claimed): the store is unchanged, and so must the index be
        }
      }
      index ??= await watchQueueIndex(state);
      const stored = (await state.values<QueueItem>("item")).map((e) => e.value);
      const open = stored.filter((i) => i.status !== "decided").sort(byPriority);
      assert.deepEqual(index.select({}, 0, 1000).entries.map((e) => e.id), open.map((i) => i.id));
      assert.deepEqual(index.select({ flow: "invoice" }, 1, 3).entries.map((e) => e.id), open.filter((i) => i.flow === "invoice").slice(1, 4).map((i) => i.id));
      const held = open.filter((i) => i.request.code === "approval_required" && i.claim === null);
      const page = index.select({ code: "approval_required", matches: (e) => e.claimedBy === null }, 2, 3);
      assert.deepEqual([page.total, page.entries.map((e) => e.id)], [held.length, held.slice(2, 5).map((i) => i.id)]);
      assert.equal(index.select({ flow: "ticket", code: "no_such_reason" }, 0, 10).total, 0);
      assert.deepEqual(new Set(index.dueBy(now)), new Set(open.filter((i) => Date.parse(i.dueAt) <= now).map((i) => i.id)));
      assert.deepEqual(new Set(index.decidedBefore(now + 1)), new Set(stored.filter((i) => i.status === "decided").map((i) => i.id)));
      for (const flow of ["ticket", "invoice"]) {
        const mine = open.filter((i) => i.flow === flow);
        const d = index.depth().get(flow);
        assert.equal(d?.open ?? 0, mine.length);
        if (d) assert.equal(d.oldestRequestedAtMs, Math.min(...mine.map((i) => Date.parse(i.request.requestedAt))));
      }
      index.stop();
    }),
    { numRuns: 150 },
  );
});
