import { test } from "node:test";
import { chaosRun } from "../helpers/chaos.js";

test("mesh chaos llm-outage: the LLM failing every request for 5 s, tickets that need it finish after, reconcile finds 0 lost and 0 doubled", { timeout: 120_000 }, async (t) => {
  await chaosRun(t, { scenario: "llm-outage", events: 60, downMs: 5_000 });
});
