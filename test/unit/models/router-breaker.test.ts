import { test } from "node:test";
import assert from "node:assert/strict";
import { MeshError } from "../../../shared/errors/index.js";
import { waitFor } from "../../helpers/wait.js";
import { confidentTicket, endpoint, router, standIn, task, unsureTicket } from "./fixtures.js";

const isCode = (code: string) => (err: unknown) => err instanceof MeshError && err.code === code && err.transient;

test("an endpoint failing every request: the breaker opens, calls park as transient errors, then it recovers", async (t) => {
  const s = await standIn(t);
  const { router: r, metrics } = router({
    endpoints: [endpoint(s)],
    breaker: { minCalls: 3, windowSize: 5, errorRateToOpen: 0.5, openMs: 300 },
  });
  s.configure({ failForMs: 60_000 });
  for (let i = 0; i < 3; i++) await assert.rejects(r.classify("ticket-intent", unsureTicket(), task(`t${i}`)), isCode("E_MODEL_ERROR"));
  assert.equal(r.breakerStates()["stand-in-eu"], "open");
  const seen = s.requests().length;
  await assert.rejects(r.classify("ticket-intent", unsureTicket(), task("t3")), isCode("E_BREAKER_OPEN"));
  assert.equal(s.requests().length, seen, "an open breaker sends nothing");
  assert.match(await metrics.registry.metrics(), /mesh_breaker_state\{endpoint="stand-in-eu"\} 2/);

  // Confident small-model work keeps flowing while the LLM is down.
  assert.equal((await r.classify("ticket-intent", confidentTicket, task("small"))).tier, "small");

  s.configure({ failUntil: 0 });
  const res = await waitFor("breaker to let a probe through and close", async () => {
    try {
      return await r.classify("ticket-intent", unsureTicket(), task("t4"));
    } catch (err) {
      if (isCode("E_BREAKER_OPEN")(err)) return undefined;
      throw err;
    }
  }, { timeoutMs: 10_000, intervalMs: 100 });
  assert.equal(res.decision, "accept");
  assert.equal(r.breakerStates()["stand-in-eu"], "closed");
  assert.match(await metrics.registry.metrics(), /mesh_breaker_state\{endpoint="stand-in-eu"\} 0/);
});

test("a slow endpoint times out as a transient E_MODEL_TIMEOUT", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s, { timeoutMs: 200 })] });
  s.configure({ latencyMs: 2_000 });
  await assert.rejects(r.classify("ticket-intent", unsureTicket(), task()), isCode("E_MODEL_TIMEOUT"));
});

test("when the first endpoint is down the next one answers", async (t) => {
  const down = await standIn(t);
  const up = await standIn(t);
  down.configure({ failForMs: 60_000 });
  const { router: r } = router({ endpoints: [endpoint(down, { name: "down" }), endpoint(up, { name: "up", model: "backup" })] });
  const res = await r.classify("ticket-intent", unsureTicket(), task());
  assert.equal(res.model, "backup");
  assert.equal(res.tried.find((x) => x.model === "stand-in-large")?.error?.includes("503"), true);
});
