import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos agent-kill: the invoice agent SIGKILLed mid-run and restarted, reconcile finds 0 lost and 0 doubled, the kill and the restart in the operator's audit chain", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "agent-kill", events: 90 });
  assert.equal(report.fault.measures.signal, "SIGKILL");
  assert.deepEqual(report.audited.map((a) => [a.step, a.outcome]), [["inject", "done"], ["repair", "done"]]);
  assert.match(report.audited[0]!.what, /^SIGKILL to the invoice agent \(pid \d+\)$/);
});
