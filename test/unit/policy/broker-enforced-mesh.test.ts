import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, subjects } from "../../../shared/bus/index.js";
import { invoiceEvents } from "../../../cli/demo/sample-invoices.js";
import { startSecureNats } from "../../helpers/nats.js";
import { startAgents } from "../../helpers/mesh.js";
import { outcomes } from "../../helpers/outcomes.js";
import { waitFor } from "../../helpers/wait.js";

test("agents run under the broker permissions rendered from their grants: the invoice flow still completes", { timeout: 180_000 }, async (t) => {
  const nats = await startSecureNats(t);
  const bus = await nats.connect("operator");
  // Each agent runs under its own nkey, with only the topology the operator declared for it.
  const mesh = await startAgents(t, nats, ["ingest", "invoice"]);

  const events = invoiceEvents(30, { system: "broker" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `b-${i}` })));
  const done = await waitFor("an outcome for every invoice", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  }, { timeoutMs: 120_000, describe: async () => `have ${(await outcomes(bus, "invoice")).total}\n${mesh.logs("invoice").slice(-1500)}` });
  assert.equal(done.total, events.length);
  assert.ok(!/Permissions Violation/i.test(mesh.logs("ingest") + mesh.logs("invoice")), "no agent ran into the broker's refusals");
});
