import { test } from "node:test";
import assert from "node:assert/strict";
import { restartNats, startNats } from "../../test/helpers/nats.js";
import { waitFor } from "../../test/helpers/wait.js";
import { registerIdentity } from "../bus/index.js";
import { TransientError } from "../errors/index.js";
import { auditVerify, formatAuditVerification, readAuditTrail } from "../../policy/commands/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { AuditWriter } from "./audit-writer.js";
import type { AuditEntry } from "./audit-entry.js";

const entry = (i: number): AuditEntry => ({ kind: "effect", action: "event.emit", effect: "done", region: "eu", subject: `mesh.task.invoice.s${i}` });
const kindsOf = async (bus: Parameters<typeof readAuditTrail>[0]) => (await readAuditTrail(bus)).records.map((r) => (r as { kind: string }).kind);

async function setup(t: Parameters<typeof startNats>[0]) {
  const nats = await startNats(t);
  const bus = await nats.connect("writer");
  const key = createSigningKey();
  await registerIdentity(bus, { publicKey: key.publicKey, name: "invoice", kind: "agent" });
  return { nats, bus, key };
}

test("append resolves once its records are stored: the opening first, then the entry, on the writer's own subjects", async (t) => {
  const { bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 60_000 });
  await writer.append({ ...entry(1), taskId: `env_${"a".repeat(32)}` });
  const trail = await readAuditTrail(bus);
  assert.deepEqual(trail.records.map((r) => (r as { kind: string }).kind), ["open", "effect"]);
  assert.deepEqual(trail.subjects, ["mesh.audit.eu.mesh.invoice", `mesh.audit.eu.env_${"a".repeat(32)}.invoice`]);
  await writer.close();
});

test("with unsigned records pending and nothing appended for the idle time, a checkpoint anchors them", async (t) => {
  const { bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 200 });
  for (let i = 0; i < 3; i++) await writer.append(entry(i));
  await waitFor("the idle checkpoint", async () => (await kindsOf(bus)).at(-1) === "checkpoint");
  const v = await auditVerify({ bus });
  assert.equal(v.ok, true, formatAuditVerification(v));
  assert.deepEqual(v.unanchored, []);
  await writer.close();
});

test("close anchors the pending records with a checkpoint and refuses later appends as transient", async (t) => {
  const { bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 60_000 });
  await writer.append(entry(1));
  await writer.close();
  assert.deepEqual(await kindsOf(bus), ["open", "effect", "checkpoint"]);
  await assert.rejects(writer.append(entry(2)), TransientError);
});

test("a publish that fails past the deadline throws a TransientError; the record goes first when the broker is back, leaving no gap", async (t) => {
  const { nats, bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 60_000, publishDeadlineMs: 300, retryBaseMs: 20 });
  await writer.append(entry(1));
  await restartNats(t, nats, async () => {
    await assert.rejects(writer.append(entry(2)), (err: unknown) => err instanceof TransientError && err.code === "E_AUDIT_UNAVAILABLE" && /seq 3 of invoice-1/.test(err.message));
  });
  await waitFor("the writer to be back", async () => {
    try {
      await writer.append(entry(3));
      return true;
    } catch {
      return false;
    }
  });
  await writer.close();
  const trail = await readAuditTrail(bus);
  const seqs = trail.records.map((r) => (r as { seq: number }).seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "every seq stored once, in order: the failed seq 3 first");
  const v = await auditVerify({ bus });
  assert.equal(v.ok, true, formatAuditVerification(v));
});

test("close never throws when the broker is gone: it reports the records it could not store", async (t) => {
  const { nats, bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 60_000, publishDeadlineMs: 300, retryBaseMs: 20 });
  await writer.append(entry(1));
  await restartNats(t, nats, async () => {
    await assert.rejects(writer.append(entry(2)), TransientError);
    assert.deepEqual(await writer.close(), { unstored: 2 }, "the failed entry and the closing checkpoint");
  });
});

test("120 appends at once (batches in flight while more are queued) store every seq once, in seq order, and verify", async (t) => {
  const { bus, key } = await setup(t);
  const writer = new AuditWriter(bus, "invoice", "invoice-1", key.seed, { idleCheckpointMs: 60_000, checkpointEvery: 40 });
  await Promise.all(Array.from({ length: 120 }, (_, i) => writer.append(entry(i))));
  await writer.close();
  const seqs = (await readAuditTrail(bus)).records.map((r) => (r as { seq: number }).seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
  const v = await auditVerify({ bus });
  assert.equal(v.ok, true, formatAuditVerification(v));
});
