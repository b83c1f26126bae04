import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, subjects } from "../../shared/bus/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

test("SIGTERM mid-run drains the agent, exits 0, and its successor finishes every task exactly once", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest", "invoice"], { CONCURRENCY: "4" });
  const bus = await nats.connect();
  const events = invoiceEvents(1000, { system: "term" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `term-${i}` })));

  await waitFor("some progress", async () => (await outcomes(bus, "invoice")).total >= 50);
  const exit = await mesh.kill("invoice", "SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.match(mesh.logs("invoice"), /"msg":"stopped"/);
  const atStop = (await outcomes(bus, "invoice")).total;
  assert.ok(atStop < events.length, "it was stopped mid-run");

  await mesh.start("invoice", { CONCURRENCY: "4" });
  const done = await waitFor("1,000 outcomes", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  });
  assert.equal(done.counts.size, events.length);
  assert.deepEqual([...done.counts.values()].filter((n) => n !== 1), []);
});
