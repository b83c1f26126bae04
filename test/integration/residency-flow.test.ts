import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { auditVerify, formatAuditVerification } from "../../policy/commands/index.js";
import { endpoint } from "../unit/models/fixtures.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";
import { loadShippedClassifiers } from "../../shared/models/index.js";

const decoder = new TextDecoder();
const TASKS = 1000;

/** Made-up ticket texts the shipped small model cannot settle (under its calibrated threshold): each needs the LLM. */
function unsettledTexts(n: number): string[] {
  const model = loadShippedClassifiers()["ticket-intent"]!;
  const texts: string[] = [];
  for (let i = 0; texts.length < n; i++) {
    const text = `ticket ${i} zqx vvv plorp wug ${i * 7919}`;
    if (model.predict(text).confidence < model.threshold!.value) texts.push(text);
  }
  return texts;
}

test(
  "1,000 eu tasks where only a us endpoint exists: none reaches it, all escalate with the residency reason, all audited",
  { timeout: 600_000 },
  async (t) => {
    const { standIn, bus } = await startTriageMesh(t, {
      endpoints: (s) => [endpoint(s, { name: "stand-in-us", region: "us", trusted: true })],
    });

    // Text the small model cannot settle, so every ticket needs the large model — which is in the wrong region.
    const events = unsettledTexts(TASKS).map((text, i) => ({
      tenant: "acme",
      region: "eu",
      source: { system: "residency", id: `R-${i}` },
      payload: { text, channel: "email" },
    }));
    const ids = new Set(events.map((e) => envelopeId(e.source)));
    for (let i = 0; i < events.length; i += 100)
      await Promise.all(events.slice(i, i + 100).map((e, j) => publish(bus, subjects.inbound("ticket"), e, { msgId: `res-${i + j}` })));

    const done = await waitFor("an outcome for every ticket", async () => {
      const o = await outcomes(bus, "ticket");
      return o.total >= TASKS && o;
    }, { timeoutMs: 540_000, intervalMs: 2_000, describe: async () => `have ${(await outcomes(bus, "ticket")).total}` });

    assert.equal(standIn.requests().length, 0, "the us endpoint saw no request");
    assert.equal(done.completed, 0);
    assert.equal(done.escalated, TASKS);
    const reviews = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("ticket") })).map(
      (m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; reason: string },
    );
    assert.deepEqual(new Set(reviews.map((r) => r.envelopeId)), ids);
    for (const r of reviews) assert.match(r.reason, /rule "residency" forbids it/, r.reason);

    const audit = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOfRegion("eu") })).map(
      (m) => JSON.parse(decoder.decode(m.data)) as { kind: string; action: string; effect: string; reasons?: string[]; taskId?: string },
    );
    const refused = new Set(audit.filter((a) => a.kind === "decision" && a.action === "model.invoke" && a.effect === "deny" && a.reasons?.includes("residency")).map((a) => a.taskId));
    assert.deepEqual(refused, ids, "every task's refusal is in the audit trail");
    // Sixteen tasks in flight per agent: the hash chains must still be intact and in order in the stream.
    const verified = await auditVerify({ bus });
    assert.equal(verified.ok, true, formatAuditVerification(verified));
  },
);
