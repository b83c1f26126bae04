import { test } from "node:test";
import assert from "node:assert/strict";
import { auditVerify, formatAuditVerification, readAuditTrail } from "../../policy/commands/index.js";
import { AuditWriter } from "../../shared/runtime/audit-writer.js";
import { restartNats } from "../helpers/nats.js";
import { auditedMesh, taskId } from "./audit-fixtures.js";

test("a broker stopped in the middle of an append and restarted on the same store leaves no gap: the append completes and verify is OK", async (t) => {
  const m = await auditedMesh(t);
  const writer = new AuditWriter(m.bus, "invoice", "invoice-1", m.keys.invoice.seed, { idleCheckpointMs: 60_000, publishDeadlineMs: 30_000 });
  const effect = (action: string) => writer.append({ kind: "effect", action, effect: "done", region: "eu", taskId, subject: "mesh.result.invoice" });
  await effect("event.emit");

  let inFlight: Promise<void> | undefined;
  await restartNats(t, m.nats, async () => {
    inFlight = effect("task.complete");
  });
  await inFlight;
  await effect("event.emit");
  await writer.close();

  const seqs = (await readAuditTrail(m.bus)).records.map((r) => (r as { seq: number }).seq);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5], "opening, three effects, closing checkpoint: each once, in order");
  const v = await auditVerify({ bus: m.bus });
  assert.equal(v.ok, true, formatAuditVerification(v));
});
