import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain } from "../../policy/audit-chain/index.js";
import { taskTimeline, formatTimeline } from "../../cli/commands/trace.js";
import { AuditWriter } from "../../shared/runtime/audit-writer.js";
import { auditedMesh, genuineInvoiceTrail, mesh, publishForged, taskId } from "./audit-fixtures.js";

test("a well-formed chain under a made-up instance id with no signature fails verify as unsigned, and trace shows it UNVERIFIED", async (t) => {
  const m = await auditedMesh(t);
  await genuineInvoiceTrail(m);
  const forger = new AuditChain({ instance: "invoice-7f3a9c", agent: "invoice" });
  await publishForged(m.bus, forger.append({ kind: "effect", action: "task.complete", effect: "done", subject: "mesh.result.invoice", detail: { paid: 1_000_000 } }), "invoice");

  const verify = await mesh(m.nats, ["audit", "verify", "--json"]);
  assert.equal(verify.code, 1, verify.stdout + verify.stderr);
  const result = JSON.parse(verify.stdout) as { problems: { kind: string; instance?: string }[]; unverified: string[] };
  assert.deepEqual(result.problems.map((p) => [p.kind, p.instance]), [["unsigned", "invoice-7f3a9c"]]);
  assert.deepEqual(result.unverified, ["invoice-7f3a9c"]);

  const lines = await taskTimeline(m.bus, taskId);
  assert.deepEqual(lines.map((l) => [l.instance, l.verified, l.anchored]), [["invoice-1", true, true], ["invoice-1", true, true], ["invoice-7f3a9c", false, true]]);
  const text = formatTimeline(taskId, lines);
  assert.match(text, /UNVERIFIED \(claims invoice, instance invoice-7f3a9c\) task\.complete done/);
  assert.match(text, /1 record\(s\) UNVERIFIED/);
});

test("trace marks a verified instance's records after its last checkpoint as not yet signed", async (t) => {
  const m = await auditedMesh(t);
  const writer = new AuditWriter(m.bus, "invoice", "invoice-1", m.keys.invoice.seed, { idleCheckpointMs: 60_000, checkpointEvery: 2 });
  for (const action of ["event.emit", "event.emit", "task.complete"]) await writer.append({ kind: "effect", action, effect: "done", region: "eu", taskId, subject: "mesh.result.invoice" });
  const lines = await taskTimeline(m.bus, taskId);
  assert.deepEqual(lines.map((l) => [l.action, l.verified, l.anchored]), [["event.emit", true, true], ["event.emit", true, true], ["task.complete", true, false]]);
  assert.match(formatTimeline(taskId, lines), /task\.complete done .*\[not yet signed\]/);
});
