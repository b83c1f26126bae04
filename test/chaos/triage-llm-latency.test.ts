import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { loadShippedClassifiers, pinLabel } from "../../shared/models/index.js";
import { sampleTicketEvents } from "../../shared/datasets/index.js";
import { outcomes, streamCount } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { endpoint } from "../unit/models/fixtures.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();
const concurrency = 16;

test(
  "LLM latency spiking to 5 s: cache hits and confident small-model tickets keep completing, the LLM backlog waits in JetStream, all complete after",
  { timeout: 240_000 },
  async (t) => {
    const { standIn, mesh, bus } = await startTriageMesh(t, {
      endpoints: (s) => [endpoint(s, { timeoutMs: 15_000 })],
      env: {
        MODEL_ROUTING: JSON.stringify({ breaker: { minCalls: 3, windowSize: 10, slowCallMs: 2_000, slowRateToOpen: 0.5, openMs: 3_000 } }),
        BACKOFF_BASE_MS: "500",
        BACKOFF_MAX_MS: "3000",
      },
    });
    const send = (id: string, text: string) =>
      publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id }, payload: { text } }, { msgId: `raw-${id}` });

    // Before the spike: one LLM ticket, so its answer is in the cache.
    const cachedText = `ticket warm zqx ${pinLabel("card_arrival", 0.95)} plorp`;
    await send("warm", cachedText);
    await waitFor("the warm-up ticket", async () => (await outcomes(bus, "ticket")).total >= 1, { timeoutMs: 60_000 });

    standIn.configure({ latencyMs: 5_000 });
    const model = loadShippedClassifiers()["ticket-intent"]!;
    const confident = sampleTicketEvents(400)
      .map((s) => s.event.payload.text)
      .filter((text) => model.predict(text).confidence >= model.threshold!.value + 0.05)
      .slice(0, 60);
    const slow = Array.from({ length: 40 }, (_, i) => `ticket ${i} qqq ${pinLabel("exchange_rate", 0.95)} blorp`);
    await Promise.all([
      ...confident.map((text, i) => send(`c${i}`, text)),
      ...slow.map((text, i) => send(`s${i}`, text)),
      send("again", cachedText),
    ]);
    const confidentIds = confident.map((_, i) => envelopeId({ system: "helpdesk", id: `c${i}` }));
    const slowIds = slow.map((_, i) => envelopeId({ system: "helpdesk", id: `s${i}` }));
    const againId = envelopeId({ system: "helpdesk", id: "again" });

    const metricsText = async () => (await fetch(`http://127.0.0.1:${mesh.get("triage").httpPort}/metrics`)).text();
    let maxInFlight = 0;
    const during = await waitFor(
      "the confident and cached tickets to complete while the LLM answers in 5 s",
      async () => {
        const inFlight = /mesh_tasks_in_flight\{[^}]*\} (\d+)/.exec(await metricsText());
        maxInFlight = Math.max(maxInFlight, Number(inFlight?.[1] ?? 0));
        const o = await outcomes(bus, "ticket");
        return [...confidentIds, againId].every((id) => o.counts.get(id) === 1) && o;
      },
      { timeoutMs: 120_000, intervalMs: 250, describe: async () => `have ${(await outcomes(bus, "ticket")).total}` },
    );
    const pendingSlow = slowIds.filter((id) => !during.counts.has(id)).length;
    assert.ok(pendingSlow > 0, `confident tickets were not held behind the LLM ones (${pendingSlow} of ${slow.length} still waiting)`);
    assert.ok(maxInFlight <= concurrency, `handlers in flight never exceeded ${concurrency} (saw ${maxInFlight})`);

    standIn.configure({ latencyMs: 0 });
    const done = await waitFor("every ticket to have its outcome", async () => {
      const o = await outcomes(bus, "ticket");
      return o.total >= 2 + confident.length + slow.length && o;
    }, { timeoutMs: 150_000, describe: async () => `have ${(await outcomes(bus, "ticket")).total}` });
    assert.equal(done.counts.size, 2 + confident.length + slow.length);
    assert.deepEqual([...done.counts.values()].filter((n) => n !== 1), [], "each exactly once");
    assert.equal(await streamCount(bus, streamNames.dlq, subjects.dlq("ticket")), 0);

    const results = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).map(
      (m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; result: { tier: string } },
    );
    assert.equal(results.find((r) => r.envelopeId === againId)?.result.tier, "cache");
  },
);
