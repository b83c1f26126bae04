import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos partition: the task stream's leader node cut off from its peers, then healed, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  await chaosRun(t, { scenario: "partition", events: 90, downMs: 5_000 });
});
