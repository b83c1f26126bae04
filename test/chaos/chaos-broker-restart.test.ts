import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos broker-restart: the broker stopped mid-run and started on the same store, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  await chaosRun(t, { scenario: "broker-restart", events: 90 });
});
