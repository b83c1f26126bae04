import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { createCorpus } from "../unit/policy/pii-corpus.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();
const TICKETS = 300;

test(
  "a seeded PII corpus through the triage flow: recall >= 0.99 and no seeded value in logs, audit records or LLM requests",
  { timeout: 300_000 },
  async (t) => {
    const { standIn, mesh, bus } = await startTriageMesh(t, { env: { LOG_LEVEL: "debug" } });

    const corpus = createCorpus(TICKETS, 4242);
    const events = corpus.map((c, i) => ({ tenant: "acme", region: "eu", source: { system: "pii", id: `P-${i}` }, payload: { text: c.text, channel: "email" } }));
    await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("ticket"), e, { msgId: `pii-${i}` })));
    await waitFor("an outcome for every ticket", async () => (await outcomes(bus, "ticket")).total >= TICKETS || undefined, {
      timeoutMs: 240_000,
      describe: async () => `have ${(await outcomes(bus, "ticket")).total}\n${mesh.logs("triage").slice(-2000)}`,
    });

    const llm = JSON.stringify(standIn.requests().map((r) => r.body));
    const audit = (await readStream(bus, streamNames.audit)).map((m) => decoder.decode(m.data)).join("\n");
    const logs = mesh.logs("ingest") + mesh.logs("triage");
    assert.ok(standIn.requests().length > 0, "tickets did reach the untrusted endpoint (redacted)");
    assert.ok(audit.length > 0 && logs.length > 0);

    const seeded = corpus.flatMap((c) => c.values);
    const leaks = { llm: [] as string[], audit: [] as string[], logs: [] as string[] };
    for (const { value } of seeded) {
      if (llm.includes(value)) leaks.llm.push(value);
      if (audit.includes(value)) leaks.audit.push(value);
      if (logs.includes(value)) leaks.logs.push(value);
    }
    const recall = 1 - new Set([...leaks.llm, ...leaks.audit, ...leaks.logs]).size / seeded.length;
    t.diagnostic(`${seeded.length} seeded values, ${standIn.requests().length} LLM requests; recall ${recall.toFixed(4)}`);
    assert.ok(recall >= 0.99, `recall ${recall}`);
    assert.deepEqual(leaks, { llm: [], audit: [], logs: [] }, "no seeded value anywhere in clear");
    assert.match(llm, /\[(CREDIT_CARD|IBAN|EMAIL|PHONE)\]/, "the model saw placeholders where the values were");
    assert.equal((await outcomes(bus, "ticket")).counts.size, new Set(events.map((e) => envelopeId(e.source))).size);
  },
);
