import assert from "node:assert/strict";
import { test } from "node:test";
import { DriftResponse } from "./drift-response.js";
import { createMetrics } from "./metrics.js";

/** Signals set by hand: the response reads only psi() and correctionRate(). */
function signals() {
  const s = { psi: undefined as number | undefined, corrections: undefined as number | undefined };
  return { s, monitor: { psi: () => s.psi, correctionRate: () => s.corrections } };
}

test("a correction rate over its limit tightens the flow at once; it relaxes only after both signals stayed under for the stable window", () => {
  let clock = 0;
  const { s, monitor } = signals();
  const metrics = createMetrics();
  const changes: boolean[] = [];
  const r = new DriftResponse(monitor, metrics, { correctionRateLimit: 0.1, stableMs: 1000, now: () => clock, onChange: (c) => changes.push(c.tightened) });
  assert.equal(r.assess("ticket").tightened, false);
  s.corrections = 0.3;
  assert.equal(r.assess("ticket").tightened, true);
  s.corrections = 0.05;
  clock += 600;
  assert.equal(r.assess("ticket").tightened, true, "under the limit, but not for a whole window yet");
  s.psi = 0.4;
  clock += 600;
  assert.equal(r.assess("ticket").tightened, true, "a new crossing restarts the window");
  s.psi = 0.1;
  clock += 999;
  assert.equal(r.assess("ticket").tightened, true);
  clock += 1;
  assert.equal(r.assess("ticket").tightened, false);
  assert.deepEqual(changes, [true, false]);
});

test("the mesh_routing_tightened gauge follows each flow's state, flows apart", async () => {
  const { s, monitor } = signals();
  const metrics = createMetrics();
  const r = new DriftResponse(monitor, metrics, { psiLimit: 0.25 });
  r.assess("invoice");
  s.psi = 0.5;
  r.assess("ticket");
  const values = (await metrics.mesh_routing_tightened.get()).values.map((v) => [v.labels.flow, v.value]);
  assert.deepEqual(Object.fromEntries(values), { invoice: 0, ticket: 1 });
});
