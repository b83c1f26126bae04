import assert from "node:assert/strict";
import { test } from "node:test";
import { createQueue, type Queue } from "../../../agents/review/queue.js";
import { watchQueueIndex, type QueueIndex } from "../../../agents/review/queue-index.js";
import { ReviewError } from "../../../agents/review/errors.js";
import { memoryStateStore } from "./memory-state-store.js";
import { ticketRequest } from "./fixtures.js";

const alice = { id: "alice", roles: ["reviewer"] };
const bob = { id: "bob", roles: ["approver"] };
const minute = 60_000;

function clock(start = Date.parse("2026-01-01T10:00:00Z")) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), iso: (ms = 0) => new Date(t + ms).toISOString() };
}

/** The open items in the order a page lists them. */
const listed = (index: QueueIndex) => index.select({}, 0, 1000).entries.map((e) => e.id);
/** One SLA sweep as the service runs it: over what the index finds due. */
const sweep = (q: Queue, index: QueueIndex, now: number) => q.sweep(index.dueBy(now));

const code = (err: unknown) => (err instanceof ReviewError ? err.code : String(err));

test("a redelivered request finds its item and does not add a second one", async () => {
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: minute });
  const index = await watchQueueIndex(state);
  const req = ticketRequest("where is my card?");
  assert.equal((await q.intake(req)).created, true);
  await q.claim(req.envelopeId, alice);
  const again = await q.intake(req);
  assert.equal(again.created, false);
  assert.equal(again.item.claim?.reviewer, "alice", "the redelivery left the claimed item as it was");
  assert.equal(listed(index).length, 1);
  assert.equal(state.size, 1);
});

test("approval-required items come first, then the oldest request", async () => {
  const c = clock();
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: minute, now: c.now });
  const newest = ticketRequest("newest", { requestedAt: c.iso(3000) });
  const oldest = ticketRequest("oldest", { requestedAt: c.iso(1000) });
  const middle = ticketRequest("middle", { requestedAt: c.iso(2000) });
  const risky = ticketRequest("my card was stolen", { requestedAt: c.iso(4000), code: "approval_required" });
  const before = ticketRequest("queued before the index started", { requestedAt: c.iso(2500) });
  await q.intake(before);
  const index = await watchQueueIndex(state);
  for (const r of [newest, oldest, risky, middle]) await q.intake(r);
  assert.deepEqual(listed(index), [risky, oldest, middle, before, newest].map((r) => r.envelopeId));
});

test("two reviewers racing for one item: exactly one claim wins, the other gets a conflict", async () => {
  const q = createQueue(memoryStateStore(), { slaMs: minute });
  const req = ticketRequest("race");
  await q.intake(req);
  const carol = { id: "carol", roles: ["reviewer"] };
  const results = await Promise.allSettled([q.claim(req.envelopeId, alice), q.claim(req.envelopeId, carol)]);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.equal(code(lost[0]!.reason), "E_CONFLICT");
  const holder = (await q.get(req.envelopeId))!.claim!.reviewer;
  assert.ok(holder === "alice" || holder === "carol");
  // Claiming what you already hold is a no-op, not a conflict.
  assert.equal((await q.claim(req.envelopeId, holder === "alice" ? alice : carol)).claim?.reviewer, holder);
});

test("an approval-required item can be claimed and decided only by an approver", async () => {
  const q = createQueue(memoryStateStore(), { slaMs: minute });
  const req = ticketRequest("dispute this charge", { code: "approval_required" });
  await q.intake(req);
  await assert.rejects(q.claim(req.envelopeId, alice), (err) => code(err) === "E_FORBIDDEN");
  await q.claim(req.envelopeId, bob);
  await q.assertDecidable(req.envelopeId, bob);
  await assert.rejects(q.assertDecidable(req.envelopeId, alice), (err) => code(err) === "E_FORBIDDEN");
});

test("a user without a review role cannot claim anything", async () => {
  const q = createQueue(memoryStateStore(), { slaMs: minute });
  const req = ticketRequest("hello");
  await q.intake(req);
  await assert.rejects(q.claim(req.envelopeId, { id: "eve", roles: ["auditor"] }), (err) => code(err) === "E_FORBIDDEN");
});

test("deciding needs the claim, and a decided item leaves the queue and cannot be claimed again", async () => {
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: minute });
  const index = await watchQueueIndex(state);
  const req = ticketRequest("decide me");
  await q.intake(req);
  await assert.rejects(q.assertDecidable(req.envelopeId, alice), (err) => code(err) === "E_CONFLICT");
  await q.claim(req.envelopeId, alice);
  await q.markDecided(req.envelopeId, alice, { decision: "approve", reviewer: "alice", at: new Date().toISOString(), leadTimeMs: 5 });
  assert.equal(listed(index).length, 0);
  await assert.rejects(q.claim(req.envelopeId, bob), (err) => code(err) === "E_CONFLICT");
  assert.equal((await q.intake(req)).item.status, "decided", "a late redelivery does not reopen it");
});

test("an SLA window without a decision is one breach: the claim is released and a new window starts", async () => {
  const c = clock();
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: minute, now: c.now });
  const index = await watchQueueIndex(state);
  const slow = ticketRequest("slow", { requestedAt: c.iso() });
  const fresh = ticketRequest("fresh", { requestedAt: c.iso(50_000) });
  await q.intake(slow);
  await q.intake(fresh);
  await q.claim(slow.envelopeId, alice);

  c.advance(minute - 1);
  assert.deepEqual(await sweep(q, index, c.now()), [], "nothing is due yet");

  c.advance(1);
  const breached = await sweep(q, index, c.now());
  assert.deepEqual(breached.map((i) => i.id), [slow.envelopeId]);
  const after = (await q.get(slow.envelopeId))!;
  assert.equal(after.status, "pending");
  assert.equal(after.claim, null, "the breached claim went back to the queue");
  assert.equal(after.breaches, 1);
  assert.equal(after.dueAt, c.iso(minute));
  assert.deepEqual(await sweep(q, index, c.now()), [], "the same window is not counted twice");

  await q.claim(slow.envelopeId, bob);
  c.advance(minute);
  assert.deepEqual((await sweep(q, index, c.now())).map((i) => [i.id, i.breaches]).sort(), [[slow.envelopeId, 2], [fresh.envelopeId, 1]].sort());
});

test("two sweeps racing (two replicas) count a breach once", async () => {
  const c = clock();
  const state = memoryStateStore();
  const a = createQueue(state, { slaMs: minute, now: c.now });
  const b = createQueue(state, { slaMs: minute, now: c.now });
  const index = await watchQueueIndex(state);
  const req = ticketRequest("race the sweep", { requestedAt: c.iso() });
  await a.intake(req);
  c.advance(minute);
  const [x, y] = await Promise.all([sweep(a, index, c.now()), sweep(b, index, c.now())]);
  assert.equal(x.length + y.length, 1);
  assert.equal((await a.get(req.envelopeId))!.breaches, 1);
});

test("decided items are forgotten after the retention period; open ones never are", async () => {
  const c = clock();
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: minute, now: c.now });
  const index = await watchQueueIndex(state);
  const done = ticketRequest("done");
  const waiting = ticketRequest("waiting");
  await q.intake(done);
  await q.intake(waiting);
  await q.claim(done.envelopeId, alice);
  await q.markDecided(done.envelopeId, alice, { decision: "approve", reviewer: "alice", at: c.iso(), leadTimeMs: 1 });
  assert.equal(await q.forgetDecided(index.decidedBefore(c.now())), 0, "not before it is older than the cut-off");
  c.advance(1);
  assert.equal(await q.forgetDecided(index.decidedBefore(c.now())), 1);
  assert.equal(await q.get(done.envelopeId), undefined);
  assert.equal((await q.get(waiting.envelopeId))?.status, "pending");
});
