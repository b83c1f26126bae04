import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos leader-kill: the task stream's leader node SIGKILLed in a 3-node cluster, work resumes within 10 s of the new leader, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "leader-kill", events: 90, downMs: 3_000 });
  assert.equal(typeof report.fault.measures.electionMs, "number");
  assert.ok(report.recoverMs !== null, "work resumed after the election");
  t.diagnostic(`new leader elected ${report.fault.measures.electionMs} ms after the kill; work resumed ${report.recoverMs} ms after the election`);
  assert.ok(report.recoverMs < 10_000, `work resumed ${report.recoverMs} ms after the new leader was elected (limit 10 s)`);
});
