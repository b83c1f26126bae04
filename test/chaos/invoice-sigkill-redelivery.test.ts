import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, streamNames, subjects } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { consumerSettled, outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";

test("the invoice agent killed with SIGKILL twice mid-run still yields every task exactly once", { timeout: 300_000 }, async (t) => {
  const nats = await startNats(t);
  // Low concurrency keeps the run long enough to kill it twice while work is in flight.
  const mesh = await startAgents(t, nats, ["ingest", "invoice"], { CONCURRENCY: "4" });
  const bus = await nats.connect();
  const events = invoiceEvents(600, { system: "erp-kill" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `kill-${i}` })));

  for (const round of [1, 2]) {
    const before = await waitFor(`some progress before kill ${round}`, async () => {
      const o = await outcomes(bus, "invoice");
      return o.total >= round * 100 && o.total;
    }, { timeoutMs: 120_000 });
    const exit = await mesh.kill("invoice", "SIGKILL");
    assert.equal(exit.signal, "SIGKILL");
    assert.ok(before < events.length, `kill ${round} happened mid-run (${before} of ${events.length} done)`);
    await mesh.start("invoice", { CONCURRENCY: "4" });
  }

  const done = await waitFor("600 outcomes", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  }, { timeoutMs: 180_000, describe: async () => `have ${(await outcomes(bus, "invoice")).total}` });
  // Every delivery has settled (nothing pending or unacknowledged), so no redelivery can still add an outcome.
  const consumer = await consumerSettled(bus, streamNames.task, "invoice");
  const settled = await outcomes(bus, "invoice");
  assert.equal(done.counts.size, events.length);
  assert.equal(settled.total, events.length);
  assert.deepEqual([...settled.counts.values()].filter((n) => n !== 1), []);
  // The kills did cut work short: the broker redelivered what the killed processes had taken and not acknowledged,
  // so the consumer made more deliveries than there are tasks.
  assert.ok(consumer.delivered.consumer_seq > events.length, `some task was delivered again after a kill (${consumer.delivered.consumer_seq} deliveries of ${events.length} tasks)`);
});
