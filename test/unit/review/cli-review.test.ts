import assert from "node:assert/strict";
import { test } from "node:test";
import { PassThrough, Writable } from "node:stream";
import { exportLabels, formatReviewQueue, replayTask } from "../../../cli/review/index.js";
import { createQueue, type QueueItem } from "../../../agents/review/queue.js";
import { memoryStateStore } from "./memory-state-store.js";
import { createCorrection } from "../../../shared/envelope/index.js";
import type { Label } from "../../../shared/runtime/index.js";
import { ticketRequest } from "./fixtures.js";

function label(i: number): Label {
  return {
    envelopeId: `env_${i.toString(16).padStart(32, "0")}`,
    inputDigest: `sha256:${"a".repeat(64)}`,
    text: `ticket ${i}`,
    prediction: "card_arrival",
    correction: i % 2 ? "card_linking" : null,
    reviewer: { id: "alice", roles: ["reviewer"] },
    leadTimeMs: 1000 + i,
    policyRevision: 2,
    modelVersion: "abc",
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  };
}

test("labels export as JSONL, one parseable label per line, in order, from an async stream", async () => {
  async function* stream() {
    for (let i = 0; i < 3; i++) yield label(i);
  }
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on("data", (c) => chunks.push(String(c)));
  assert.equal(await exportLabels(stream(), out), 3);
  const lines = chunks.join("").split("\n");
  assert.equal(lines.pop(), "", "the file ends with a newline");
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [label(0), label(1), label(2)]);
});

test("an invalid record stops the export with a message naming the record and field", async () => {
  const out = new PassThrough();
  out.resume();
  await assert.rejects(exportLabels([label(0), { ...label(1), leadTimeMs: -5 }], out), /label 2: leadTimeMs/);
});

test("export waits for a slow consumer instead of buffering everything", async () => {
  let written = 0;
  let maxPending = 0;
  const slow = new Writable({
    highWaterMark: 64,
    write(_chunk, _enc, done) {
      written++;
      setImmediate(done);
    },
  });
  const labels = Array.from({ length: 200 }, (_, i) => label(i));
  const watcher = setInterval(() => (maxPending = Math.max(maxPending, slow.writableLength)), 0);
  await exportLabels(labels, slow);
  clearInterval(watcher);
  await new Promise((r) => slow.end(r));
  assert.equal(written, 200);
  assert.ok(maxPending < 4096, `at most a few lines pending (${maxPending} bytes)`);
});

test("a replay applies the task's corrections in the order they were made and leaves the envelope as it was", () => {
  const { envelope } = ticketRequest("replay me");
  const first = createCorrection({ kind: "correction", envelopeId: envelope.id, envelopeDigest: envelope.digest, fields: { intent: "card_arrival" }, author: "alice", at: new Date("2026-01-01T00:00:01Z") });
  const second = createCorrection({ kind: "correction", envelopeId: envelope.id, envelopeDigest: envelope.digest, fields: { intent: "card_linking", "reply.tone": "formal" }, author: "bob", at: new Date("2026-01-01T00:00:02Z") });
  const replay = replayTask(envelope, [second, first]);
  assert.deepEqual(replay.fields, { intent: "card_linking", reply: { tone: "formal" } });
  assert.deepEqual(replay.corrections.map((c) => c.author), ["alice", "bob"]);
  assert.equal(replay.envelope, envelope);
  assert.deepEqual(replayTask(envelope, [second, first]).fields, replay.fields, "deterministic");
  assert.deepEqual(replayTask(envelope, []).fields, {});
});

test("a replay refuses a correction for another task or made against other content", () => {
  const { envelope } = ticketRequest("mine");
  const other = ticketRequest("someone else's").envelope;
  const foreign = createCorrection({ kind: "correction", envelopeId: other.id, envelopeDigest: other.digest, fields: { intent: "x" }, author: "a" });
  assert.throws(() => replayTask(envelope, [foreign]), /corrections\.0\.envelopeId/);
  const stale = createCorrection({ kind: "correction", envelopeId: envelope.id, envelopeDigest: other.digest, fields: { intent: "x" }, author: "a" });
  assert.throws(() => replayTask(envelope, [stale]), /corrections\.0\.envelopeDigest/);
});

test("mesh review ls lists open items in queue order, flags overdue ones and never prints task text", async () => {
  const t0 = Date.parse("2026-01-01T10:00:00Z");
  const state = memoryStateStore();
  const q = createQueue(state, { slaMs: 60_000, now: () => t0 });
  const old = ticketRequest("secret text one", { requestedAt: new Date(t0 - 120_000).toISOString() });
  const risky = ticketRequest("secret text two", { code: "approval_required", requestedAt: new Date(t0).toISOString() });
  await q.intake(old);
  await q.intake(risky);
  await q.claim(old.envelopeId, { id: "alice", roles: ["reviewer"] });
  const out = formatReviewQueue((await state.values<QueueItem>("item")).map((e) => e.value), t0);
  const lines = out.split("\n");
  assert.equal(lines[0], "2 open review items");
  assert.match(lines[1]!, new RegExp(`^${risky.envelopeId}\\s+ticket\\s+approval_required\\s+approver\\s+pending`));
  assert.match(lines[2]!, new RegExp(`^${old.envelopeId}\\s+ticket\\s+low_confidence\\s+reviewer\\s+claimed:alice\\s+OVERDUE`));
  assert.doesNotMatch(out, /secret text/);
  assert.equal(formatReviewQueue([]), "review queue empty");
});
