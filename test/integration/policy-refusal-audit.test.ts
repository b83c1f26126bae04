import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { defaultPolicyPath } from "../../policy/index.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";

test("an agent without an event.emit grant for a subject is refused with the rule's reason, and the refusal is audited", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  // The shipped policy minus one grant: invoice may no longer request reviews.
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const withoutReview = policy.replace(`"mesh.review.invoice.requested", `, "");
  assert.notEqual(withoutReview, policy, "the grant to remove is in the shipped policy");
  const policyFile = join(nats.dir, "policy.yaml");
  writeFileSync(policyFile, withoutReview);
  await startAgents(t, nats, ["ingest", "invoice"], { POLICY_FILE: policyFile });
  const bus = await nats.connect();

  const events = invoiceEvents(20, { system: "refusal" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `r-${i}` })));
  const refusedIds = events.filter((_, i) => expectedInvoiceOutcome(i) === "escalated").map((e) => envelopeId(e.source));
  assert.ok(refusedIds.length > 0);

  const letters = await waitFor("a dead letter per refused escalation", async () => {
    const msgs = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") });
    return msgs.length >= refusedIds.length && msgs.map((m) => deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))));
  });
  assert.deepEqual(letters.map((l) => l.envelopeId).sort(), [...refusedIds].sort());
  for (const l of letters) {
    assert.equal(l.code, "E_POLICY_DENY");
    assert.match(l.reason, /default-deny/);
    assert.match(l.reason, /mesh\.review\.invoice\.requested/);
  }
  const o = await outcomes(bus, "invoice");
  assert.equal(o.escalated, 0, "no review request got through");
  assert.equal(o.completed, events.length - refusedIds.length, "granted effects still happen");

  const audit = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOfRegion("eu") })).map(
    (m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { agent: string; kind: string; effect: string; reasons: string[]; subject: string; taskId: string },
  );
  const denials = audit.filter((r) => r.agent === "invoice" && r.kind === "decision" && r.effect === "deny");
  assert.deepEqual([...new Set(denials.map((d) => d.taskId))].sort(), [...refusedIds].sort());
  assert.ok(denials.every((d) => d.reasons.includes("default-deny") && d.subject === subjects.reviewRequested("invoice")));
});
