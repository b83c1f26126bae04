import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos agent-kill --signal SIGSTOP: the invoice agent frozen past its ack wait, then continued, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  // Frozen longer than the 3 s ack wait: the broker redelivers what it held, and the thawed process finishes it too.
  await chaosRun(t, { scenario: "agent-kill", signal: "SIGSTOP", events: 90, downMs: 5_000 });
});
