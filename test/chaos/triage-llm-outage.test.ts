import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { loadShippedClassifiers, pinLabel } from "../../shared/models/index.js";
import { loadBanking77, splitBanking77 } from "../../shared/datasets/index.js";
import { outcomes, streamCount } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const outageMs = 30_000;
const decoder = new TextDecoder();

/** Held-out tickets the shipped small model settles on its own (its calibrated threshold, not the LLM). */
function confidentTickets(n: number): string[] {
  const model = loadShippedClassifiers()["ticket-intent"]!;
  const bar = model.threshold!.value;
  return splitBanking77(loadBanking77().rows)
    .evaluation.map((r) => r.text)
    .filter((text) => model.predict(text).confidence >= bar + 0.05)
    .slice(0, n);
}

test(
  "the LLM failing every request for 30 s: the breaker opens, small-model tickets keep completing, no ticket is lost, all complete after recovery",
  { timeout: 240_000 },
  async (t) => {
    const { standIn, mesh, bus } = await startTriageMesh(t, {
      env: {
        MODEL_ROUTING: JSON.stringify({ breaker: { minCalls: 3, windowSize: 10, openMs: 2_000 } }),
        // Parked tickets outlive the outage: transient failures wait up to MAX_PARKED_DELIVERIES, at most 3 s apart.
        BACKOFF_BASE_MS: "500",
        BACKOFF_MAX_MS: "3000",
      },
    });

    const outageStarted = Date.now();
    standIn.configure({ failForMs: 3_600_000 });
    const confident = confidentTickets(20);
    const unsure = Array.from({ length: 20 }, (_, i) => `ticket ${i} zqx vvv ${pinLabel("card_arrival", 0.95)} plorp`);
    const events = [...confident, ...unsure].map((text, i) => ({
      tenant: "acme",
      region: "eu",
      source: { system: "helpdesk", id: `T-${i}` },
      payload: { text, channel: "email" },
    }));
    const ids = events.map((e) => envelopeId(e.source));
    const unsureIds = new Set(ids.slice(confident.length));
    await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("ticket"), e, { msgId: `raw-${i}` })));

    const metricsText = async () => (await fetch(`http://127.0.0.1:${mesh.get("triage").httpPort}/metrics`)).text();
    await waitFor("the triage agent's breaker to open", async () => /mesh_breaker_state\{[^}]*endpoint="stand-in-eu"[^}]*\} 2/.test(await metricsText()), {
      timeoutMs: 60_000,
      describe: async () => (await metricsText()).split("\n").filter((l) => l.startsWith("mesh_breaker_state")).join("; "),
    });
    const during = await waitFor("every small-model ticket to have its outcome while the LLM is down", async () => {
      const o = await outcomes(bus, "ticket");
      return confident.every((_, i) => o.counts.get(ids[i]!) === 1) && o;
    }, { timeoutMs: 60_000, describe: async () => `have ${(await outcomes(bus, "ticket")).total}` });
    assert.equal([...unsureIds].filter((id) => during.counts.has(id)).length, 0, "tickets that need the LLM wait for it");
    assert.equal(await streamCount(bus, streamNames.dlq, subjects.dlq("ticket")), 0, "nothing dead-lettered during the outage");

    const requestsWhileDown = standIn.requests().length;
    await new Promise((r) => setTimeout(r, Math.max(0, outageStarted + outageMs - Date.now())));
    standIn.configure({ failUntil: 0 });

    const done = await waitFor("all 40 tickets to have an outcome", async () => {
      const o = await outcomes(bus, "ticket");
      return o.total >= events.length && o;
    }, { timeoutMs: 120_000, describe: async () => `have ${(await outcomes(bus, "ticket")).total}\n${mesh.logs("triage").slice(-2000)}` });
    assert.equal(done.total, events.length);
    for (const id of ids) assert.equal(done.counts.get(id), 1, `ticket ${id} has exactly one outcome`);
    assert.equal(await streamCount(bus, streamNames.dlq, subjects.dlq("ticket")), 0);

    const results = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).map(
      (m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; result: { intent: string; tier: string; suggestedReply: string | null } },
    );
    const recovered = results.filter((r) => unsureIds.has(r.envelopeId));
    assert.equal(recovered.length, unsure.length, "every LLM ticket completed after recovery");
    for (const r of recovered) {
      assert.equal(r.result.intent, "card_arrival");
      assert.equal(r.result.tier, "large");
      assert.ok(r.result.suggestedReply, "a draft is attached once the LLM is back");
    }
    // The breaker kept the endpoint from being hammered: far fewer requests than the parked deliveries would make.
    assert.ok(requestsWhileDown < unsure.length * 5, `stand-in saw ${requestsWhileDown} requests during the outage`);
    assert.match(await metricsText(), /mesh_model_cost_usd_total\{[^}]*flow="ticket"[^}]*\} [1-9]/);
  },
);
