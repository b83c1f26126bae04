import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain } from "../../policy/audit-chain/index.js";
import { taskTimeline, formatTimeline } from "../../cli/commands/trace.js";
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
  assert.deepEqual(lines.map((l) => [l.instance, l.verified]), [["invoice-1", true], ["invoice-1", true], ["invoice-7f3a9c", false]]);
  const text = formatTimeline(taskId, lines);
  assert.match(text, /UNVERIFIED \(claims invoice, instance invoice-7f3a9c\) task\.complete done/);
  assert.match(text, /1 record\(s\) UNVERIFIED/);
});
