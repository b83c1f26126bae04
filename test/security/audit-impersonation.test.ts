import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain } from "../../policy/audit-chain/index.js";
import { auditVerify } from "../../policy/commands/index.js";
import { auditedMesh, genuineInvoiceTrail, publishForged } from "./audit-fixtures.js";

test("records claiming agent invoice, signed with triage's registered key, fail verify as impersonation", async (t) => {
  const m = await auditedMesh(t);
  await genuineInvoiceTrail(m);
  const triageAsInvoice = new AuditChain({ instance: "invoice-9", agent: "invoice", signingSeed: m.keys.triage.seed, checkpointEvery: 1 });
  await publishForged(m.bus, triageAsInvoice.append({ kind: "effect", action: "task.complete", effect: "done" }), "invoice");

  const v = await auditVerify({ bus: m.bus });
  assert.equal(v.ok, false);
  assert.ok(v.problems.length > 0 && v.problems.every((p) => p.kind === "impersonation" && p.instance === "invoice-9"), JSON.stringify(v.problems));
  assert.match(v.problems[0]!.message, /claims agent invoice but is signed by triage's key/);
  assert.deepEqual(v.unverified, ["invoice-9"]);
});

test("records triage signs as itself but publishes under invoice's writer token fail verify as impersonation", async (t) => {
  const m = await auditedMesh(t);
  const triage = new AuditChain({ instance: "triage-1", agent: "triage", signingSeed: m.keys.triage.seed, checkpointEvery: 1 });
  await publishForged(m.bus, triage.append({ kind: "effect", action: "task.complete", effect: "done" }), "invoice");

  const v = await auditVerify({ bus: m.bus });
  assert.deepEqual(v.problems.map((p) => [p.kind, p.instance]), [["impersonation", "triage-1"]]);
  assert.match(v.problems[0]!.message, /published as writer invoice/);
});
