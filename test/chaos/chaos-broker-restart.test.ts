import assert from "node:assert/strict";
import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos broker-restart: the broker stopped mid-run and started on the same store, reconcile finds 0 lost and 0 doubled, the stop (recorded while the broker was away) and the start in the operator's audit chain", { timeout: 120_000 }, async (t) => {
  const report = await chaosRun(t, { scenario: "broker-restart", events: 90 });
  assert.deepEqual(report.audited.map((a) => [a.step, a.what, a.outcome]), [["inject", "stop nats-server", "done"], ["repair", "start nats-server on the same store", "done"]]);
});
