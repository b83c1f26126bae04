import { shuffled } from "../../shared/prng/index.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { sampleTicketEvents } from "../../shared/datasets/index.js";
import { PSI_ALERT_THRESHOLD, parseExposition } from "../../shared/telemetry/index.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

async function psi(port: number, feature: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return parseExposition(text).find((s) => s.name === "mesh_drift_psi" && s.labels.feature === feature && s.labels.flow === "ticket")?.value;
}

test("tickets whose inputs shift away from the reference push the drift gauge over its alert threshold, and the flow's routing tightens, audited", { timeout: 240_000 }, async (t) => {
  const { mesh, bus } = await startTriageMesh(t, { env: { DRIFT_REFERENCE_SIZE: "200", DRIFT_WINDOW_SIZE: "100" } });
  const port = mesh.get("triage").httpPort;
  const send = (events: { event: unknown }[], tag: string) =>
    Promise.all(events.map(({ event }, i) => publish(bus, subjects.inbound("ticket"), event, { msgId: `${tag}-${i}` })));

  // Reference: ordinary BANKING77 tickets. Then the same, still ordinary: no drift.
  const pool = shuffled(sampleTicketEvents(2021, { system: "drift" }), 7);
  const reference = pool.slice(0, 300);
  await send(reference, "before");
  await waitFor("the reference tickets handled", async () => (await outcomes(bus, "ticket")).total >= 300, { timeoutMs: 120_000 });
  const steady = await psi(port, "input_length");
  t.diagnostic(`input_length PSI on like-for-like traffic: ${steady}`);
  assert.ok(steady !== undefined && steady < PSI_ALERT_THRESHOLD, `PSI on like-for-like traffic is ${steady}`);

  // Shift: the same intents, but the channel now forwards whole email threads.
  const shifted = pool.slice(300, 450).map(({ event }) => ({
    event: { ...event, payload: { ...event.payload, text: `${event.payload.text} ${"Forwarded message: see the thread below for the details. ".repeat(6)}` } },
  }));
  await send(shifted, "after");
  await waitFor("the shifted tickets handled", async () => (await outcomes(bus, "ticket")).total >= 450, { timeoutMs: 120_000 });
  const drifted = await psi(port, "input_length");
  t.diagnostic(`input_length PSI after the shift: ${drifted}`);
  assert.ok(drifted !== undefined && drifted > PSI_ALERT_THRESHOLD, `PSI after the shift is ${drifted}`);

  // Drift acts: the flow's routing was tightened, the change audited and exported for the alert.
  const tightened = (await readStream(bus, streamNames.audit))
    .map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { kind: string; action: string; flow?: string })
    .filter((r) => r.kind === "policy" && r.action === "routing.tighten" && r.flow === "ticket");
  assert.equal(tightened.length, 1, "one audited change to tightened routing");
  const gauge = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).find((s) => s.name === "mesh_routing_tightened" && s.labels.flow === "ticket");
  assert.equal(gauge?.value, 1);
});
