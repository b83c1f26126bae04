import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos agent-kill: the invoice agent SIGKILLed mid-run and restarted, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "agent-kill", events: 90 });
  assert.equal(report.fault.measures.signal, "SIGKILL");
});
