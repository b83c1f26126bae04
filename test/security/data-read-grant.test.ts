import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { defaultPolicyPath } from "../../policy/index.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const decoder = new TextDecoder();
type AuditRecord = { agent: string; kind: string; action: string; effect: string; subject: string; taskId: string; request: { resource: { dataClass?: string } } };

async function run(t: TestContext, policy: string) {
  const nats = await startNats(t);
  const policyFile = join(nats.dir, "policy.yaml");
  writeFileSync(policyFile, policy);
  await startAgents(t, nats, ["ingest", "invoice"], { POLICY_FILE: policyFile });
  const bus = await nats.connect();
  const events = invoiceEvents(14, { system: "grant" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `g-${i}` })));
  const done = await waitFor("an outcome per invoice", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  });
  const audit = (await readStream(bus, streamNames.audit)).map((m) => JSON.parse(decoder.decode(m.data)) as AuditRecord);
  const reads = audit.filter((r) => r.agent === "invoice" && r.kind === "decision" && r.action === "data.read");
  return { events, done, reads };
}

test("with its data.read grant invoice matches on opened vendor ids, and every opening is an audited decision", { timeout: 120_000 }, async (t) => {
  const { events, done, reads } = await run(t, readFileSync(defaultPolicyPath, "utf8"));
  assert.equal(done.completed, events.filter((_, i) => expectedInvoiceOutcome(i) === "completed").length);
  assert.equal(new Set(reads.map((r) => r.taskId)).size, events.length, "one decision (or more, on redelivery) per task");
  assert.ok(reads.every((r) => r.effect === "allow" && r.subject === subjects.task("invoice", "ingested") && r.request.resource.dataClass === "personal"));
});

test("without the grant the handler sees only sealed values (nothing matches) and each refusal is audited", { timeout: 120_000 }, async (t) => {
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const withoutGrant = policy.replace(/  - id: invoice-read-personal[\s\S]*?dataClasses: \[personal\] \}\n/, "");
  assert.notEqual(withoutGrant, policy, "the grant to remove is in the shipped policy");
  const { events, done, reads } = await run(t, withoutGrant);
  // Sealed under different field paths, an invoice's vendor id never equals its order's: every invoice escalates.
  assert.equal(done.escalated, events.length);
  assert.equal(new Set(reads.map((r) => r.taskId)).size, events.length);
  assert.ok(reads.every((r) => r.effect === "deny"));
});
