import assert from "node:assert/strict";
import { test } from "node:test";
import { connectBus, publish, subjects } from "../../../shared/bus/index.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { agentsOf, generateCredentials, renderNatsAuthorization } from "../../../policy/nats-permissions/index.js";
import { invoiceEvents } from "../../../cli/demo/sample-invoices.js";
import { startNats } from "../../helpers/nats.js";
import { startAgents } from "../../helpers/mesh.js";
import { outcomes } from "../../helpers/outcomes.js";
import { waitFor } from "../../helpers/wait.js";

test("agents run under the broker permissions rendered from their grants: the invoice flow still completes", { timeout: 180_000 }, async (t) => {
  const doc = loadPolicyFile(defaultPolicyPath).document;
  const credentials = generateCredentials(agentsOf(doc));
  const operator = { user: "operator", password: "operator-secret-for-this-test" };
  const nats = await startNats(t, { extraConfig: renderNatsAuthorization(doc, { credentials, unrestricted: [operator] }) });
  const bus = await connectBus({ servers: nats.url, name: "operator", user: operator.user, pass: operator.password });
  // A plain close: a drain would wait forever if the broker is already stopped when this hook runs.
  t.after(() => bus.nc.close());

  const mesh = await startAgents(t, nats, []);
  for (const name of ["ingest", "invoice"]) await mesh.start(name, { NATS_USER: credentials[name]!.user, NATS_PASS: credentials[name]!.password });

  const events = invoiceEvents(30, { system: "broker" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `b-${i}` })));
  const done = await waitFor("an outcome for every invoice", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  }, { timeoutMs: 120_000, describe: async () => `have ${(await outcomes(bus, "invoice")).total}\n${mesh.logs("invoice").slice(-1500)}` });
  assert.equal(done.total, events.length);
  assert.ok(!/Permissions Violation/i.test(mesh.logs("ingest") + mesh.logs("invoice")), "no agent ran into the broker's refusals");
});
