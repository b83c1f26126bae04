import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, subjects } from "../../shared/bus/index.js";
import { parseExposition } from "../../shared/telemetry/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

test("a source event republished after the broker's duplicate window still yields no second task", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const events = invoiceEvents(50, { system: "late" });
  const send = (round: number) => Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `late-${round}-${i}` })));
  await send(1);
  await waitFor("50 outcomes", async () => (await outcomes(bus, "invoice")).total >= 50);
  // The republish carries new Nats-Msg-Ids, which the broker stores as it would a repeat past its window: only the
  // ingest's record of admitted envelope ids can stop it, and no wait for a window edge is needed.
  await send(2);
  const metrics = `http://127.0.0.1:${mesh.get("ingest").httpPort}/metrics`;
  const duplicates = await waitFor("50 duplicates counted", async () => {
    const n = parseExposition(await (await fetch(metrics)).text()).find((s) => s.name === "mesh_events_ingested_total" && s.labels.result === "duplicate")?.value;
    return n === 50 && n;
  });
  assert.equal(duplicates, 50);
  const after = await outcomes(bus, "invoice");
  assert.equal(after.total, 50);
  assert.equal((await bus.jsm.streams.info("MESH_TASK")).state.messages, 50, "no second task was published");
});
