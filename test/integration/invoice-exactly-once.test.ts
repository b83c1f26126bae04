import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, subjects } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { consumerSettled, outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";

test("1,000 invoice events produce exactly 1,000 outcomes, and republishing them adds none", { timeout: 240_000 }, async (t) => {
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const events = invoiceEvents(1000);

  // Raw events carry no msgID: deduplication is the mesh's job (the envelope id), not the publisher's.
  const publishAll = () => Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `raw-${Date.now()}-${i}` })));
  await publishAll();
  const first = await waitFor("1,000 outcomes", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= 1000 && o;
  }, { timeoutMs: 180_000, describe: async () => `have ${(await outcomes(bus, "invoice")).total}` });

  assert.equal(first.total, 1000);
  assert.equal(first.counts.size, 1000);
  for (const [i, e] of events.entries()) assert.equal(first.counts.get(envelopeId(e.source)), 1, `event ${i} has one outcome`);
  const expectedEscalated = events.filter((_, i) => expectedInvoiceOutcome(i) === "escalated").length;
  assert.equal(first.escalated, expectedEscalated);
  assert.equal(first.completed, 1000 - expectedEscalated);

  await publishAll();
  // The second batch is consumed (ingest's consumer catches up) and yields no new outcome.
  await consumerSettled(bus, "MESH_IN", "ingest");
  // A second outcome would be published before invoice acknowledged its task: once invoice has nothing pending
  // or unacknowledged either, every outcome the second batch could cause is in the streams.
  await consumerSettled(bus, "MESH_TASK", "invoice");
  const second = await outcomes(bus, "invoice");
  assert.equal(second.total, 1000);
  assert.deepEqual([...second.counts.values()].filter((n) => n !== 1), []);
});
