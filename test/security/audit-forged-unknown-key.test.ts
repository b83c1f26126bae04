import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain } from "../../policy/audit-chain/index.js";
import { auditVerify } from "../../policy/commands/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { auditedMesh, genuineInvoiceTrail, publishForged } from "./audit-fixtures.js";

test("a forged chain signed by a key nobody registered fails verify as unknown-identity, naming the instance", async (t) => {
  const m = await auditedMesh(t);
  await genuineInvoiceTrail(m);
  const stranger = createSigningKey();
  const forger = new AuditChain({ instance: "invoice-2", agent: "invoice", signingSeed: stranger.seed, checkpointEvery: 1 });
  await publishForged(m.bus, forger.append({ kind: "effect", action: "task.complete", effect: "done" }), "invoice");

  const v = await auditVerify({ bus: m.bus });
  assert.equal(v.ok, false);
  assert.deepEqual(v.problems.map((p) => [p.kind, p.instance]), [["unknown-identity", "invoice-2"]]);
  assert.match(v.problems[0]!.message, new RegExp(stranger.publicKey));
  assert.deepEqual(v.unverified, ["invoice-2"]);
});
