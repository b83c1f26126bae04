import { test } from "node:test";
import assert from "node:assert/strict";
import { startNats } from "../../helpers/nats.js";
import { publish, registerIdentity, subjects } from "../../../shared/bus/index.js";
import { compilePolicy, defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { AuditChain } from "../../../policy/audit-chain/index.js";
import { createSigningKey } from "../../../policy/signing/index.js";
import { auditVerify, diffPolicies, formatAuditVerification, formatExplain, formatPolicyDiff, policyDiff, pushPolicy, readAuditRecords } from "../../../policy/commands/index.js";
import { readFileSync } from "node:fs";

const current = loadPolicyFile(defaultPolicyPath);

/** Decision records shaped as the runtime's audit writer stores them. */
function audited(agent: string, action: string, subject: string, n: number, extra: Record<string, unknown> = {}) {
  return Array.from({ length: n }, (_, i) => ({ kind: "decision", agent, instance: `${agent}-1`, seq: i + 1, action, subject, taskId: `t-${i}`, flow: "invoice", region: "eu", effect: "allow", ...extra }));
}

test("policy diff replays audited decisions against a candidate and lists what would change", () => {
  const candidateDoc = structuredClone(current.document);
  candidateDoc.revision = 2;
  candidateDoc.rules.push(
    { id: "freeze-invoice-dlq", effect: "forbid", mode: "enforce", actions: ["event.emit"], principals: ["invoice"], resources: { subjects: ["mesh.dlq.invoice"] } },
    { id: "rogue-dlq", effect: "permit", mode: "enforce", actions: ["event.emit"], principals: ["rogue"], resources: { subjects: ["mesh.dlq.*"] } },
  );
  const records = [
    ...audited("invoice", "event.emit", "mesh.dlq.invoice", 3),
    ...audited("invoice", "task.complete", "mesh.result.invoice", 5),
    ...audited("rogue", "event.emit", "mesh.dlq.invoice", 2, { effect: "deny" }),
    { kind: "effect", action: "event.emit" },
    "garbage",
  ];
  const diff = diffPolicies(current, compilePolicy(candidateDoc), records);
  assert.equal(diff.replayed, 10);
  assert.equal(diff.skipped, 2);
  assert.equal(diff.distinct, 3 + 5 + 2, "each task is its own request");
  assert.deepEqual(
    diff.newlyDenied.map((c) => [c.request.principal.agent, c.request.resource.subject, c.after.reasons]),
    [0, 1, 2].map(() => ["invoice", "mesh.dlq.invoice", ["freeze-invoice-dlq"]]),
  );
  assert.deepEqual(diff.newlyAllowed.map((c) => c.after.reasons), [["rogue-dlq"], ["rogue-dlq"]]);
  const text = formatPolicyDiff(diff);
  assert.match(text, /revision 1 → 2; 10 audited decisions replayed/);
  assert.match(text, /newly denied: 3 {3}newly allowed: 2/);
  assert.match(text, /invoice event\.emit mesh\.dlq\.invoice: allow \[invoice-emit\] → deny \[freeze-invoice-dlq\]/);
});

test("policy diff with the same policy changes nothing", () => {
  const diff = diffPolicies(current, current, audited("invoice", "event.emit", "mesh.task.invoice.matched", 4));
  assert.equal(diff.newlyDenied.length + diff.newlyAllowed.length + diff.reasonsChanged.length, 0);
  assert.match(formatPolicyDiff(diff), /no audited decision would change/);
});

test("audit verify reads the AUDIT stream with the registered identities; in a JSONL copy with one record edited and one dropped it names both positions", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect("auditor");
  const key = createSigningKey();
  await registerIdentity(bus, { publicKey: key.publicKey, name: "invoice", kind: "agent" });
  const chains = [new AuditChain({ instance: "invoice-a", agent: "invoice", signingSeed: key.seed, checkpointEvery: 10 }), new AuditChain({ instance: "invoice-b", agent: "invoice", signingSeed: key.seed })];
  for (let i = 0; i < 30; i++) {
    for (const rec of chains[i % 2]!.append({ kind: "decision", action: "event.emit", effect: "allow", subject: "mesh.task.invoice.matched" }))
      await publish(bus, subjects.audit("eu", undefined, "invoice"), rec, { msgId: `audit:${rec.instance}:${rec.seq}` });
  }
  const stored = await readAuditRecords(bus);
  assert.equal(stored.length, 33, "two openings, 30 records, one checkpoint");
  const live = await auditVerify({ bus });
  assert.equal(live.ok, true, formatAuditVerification(live));
  assert.match(formatAuditVerification(live), /33 records, 2 instance chain\(s\), 1 signed checkpoint\(s\)\n {2}OK/);
  assert.match(formatAuditVerification(live), /note: 20 record\(s\) after the last checkpoint of 2 instance\(s\)/);

  const lines = stored.map((r) => JSON.stringify(r));
  lines[5] = lines[5]!.replace('"effect":"allow"', '"effect":"deny"');
  lines.splice(17, 1);
  const copy = await auditVerify({ jsonl: lines.join("\n") }, { identities: new Map([[key.publicKey, { name: "invoice" }]]) });
  // Instances alternate (and a checkpoint sits between), so only the range of the dropped record is certain.
  assert.deepEqual(copy.problems.map((p) => [p.kind, p.position]), [["altered", 6], ["missing", 17]]);
  assert.match(copy.problems[1]!.message, /missing \(between positions 16 and 19\)/);
  const report = formatAuditVerification(copy);
  assert.match(report, /FAILED: 2 problem\(s\)/);
  assert.match(report, /position 6: altered/);
  assert.match(report, /position 17: missing/);
});

test("policy explain prints the decision and each candidate rule's outcome", () => {
  const task = { id: "t", flow: "ticket", region: "eu", tenant: "acme", classification: "internal" };
  const text = formatExplain(current.explain({ action: "model.invoke", principal: { agent: "triage" }, resource: { endpoint: "us-llm", region: "us" }, context: { task } }));
  assert.match(text, /^DENY \(revision 1\) — triage may not model\.invoke endpoint "us-llm"/);
  assert.match(text, /obligations: \{"kind":"route_region","region":"eu"\}/);
  assert.match(text, /match +forbid +enforce residency: task region "eu" may reach \[eu\], resource region is "us"/);
  assert.match(text, /skipped +permit +enforce triage-models: a forbid already decided/);
  assert.match(formatExplain(current.explain({ action: "event.emit", principal: { agent: "rogue" }, resource: { subject: "x" } })), /no rule applies/);
});

test("policy diff from the bus compares a candidate with the pushed revision, replaying the AUDIT stream", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect("operator");
  const approver = createSigningKey();
  const shipped = readFileSync(defaultPolicyPath, "utf8");
  await pushPolicy(bus, { text: shipped.replace("revision: 1", "revision: 4"), approverSeed: approver.seed });
  const chain = new AuditChain({ instance: "invoice-1", agent: "invoice" });
  for (const r of audited("invoice", "task.complete", "mesh.result.invoice", 3))
    for (const rec of chain.append(r)) await publish(bus, subjects.audit("eu", undefined, "test"), rec, { msgId: `a:${rec.seq}` });
  const candidate = shipped.replace("revision: 1", "revision: 5").replace(`subjects: ["mesh.result.invoice"]`, `subjects: ["mesh.result.nothing"]`);
  assert.notEqual(candidate, shipped);
  const diff = await policyDiff(bus, { candidateText: candidate, trustedApprovers: [approver.publicKey], fallback: current });
  assert.equal(diff.fromRevision, 4, "the current policy is the verified KV revision, not the fallback");
  assert.equal(diff.toRevision, 5);
  assert.equal(diff.newlyDenied.length, 3);
  assert.deepEqual(diff.newlyDenied[0]!.after.reasons, ["default-deny"]);
});
