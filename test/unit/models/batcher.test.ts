import { test } from "node:test";
import assert from "node:assert/strict";
import { createBatcher } from "../../../shared/models/index.js";
import { endpoint, router, standIn, task, unsureTicket } from "./fixtures.js";

test("concurrent single requests go out as batches of at most maxBatch, each caller gets its own answer", async () => {
  const batches: number[][] = [];
  const double = createBatcher<number, number>({
    maxBatch: 4,
    maxWaitMs: 50,
    run: async (xs) => {
      batches.push([...xs]);
      return xs.map((x) => x * 2);
    },
  });
  const out = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => double(x)));
  assert.deepEqual(out, [2, 4, 6, 8, 10, 12]);
  assert.deepEqual(batches, [[1, 2, 3, 4], [5, 6]]);
});

test("a failed batch rejects every caller in it", async () => {
  const b = createBatcher<number, number>({ maxBatch: 10, maxWaitMs: 5, run: () => Promise.reject(new Error("down")) });
  const results = await Promise.allSettled([b(1), b(2)]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
});

test("a batch answering with the wrong number of results rejects instead of misaligning answers", async () => {
  const b = createBatcher<number, number>({ maxBatch: 2, maxWaitMs: 5, run: async () => [1] });
  await assert.rejects(Promise.all([b(1), b(2)]), /batch of 2 answered with 1/);
});

test("the router batches concurrent LLM classifications into one request and splits its cost", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)], batch: { maxBatch: 8, maxWaitMs: 50 } });
  const labels = ["card_arrival", "exchange_rate", "pin_blocked", "top_up_failed", "request_refund"];
  const results = await Promise.all(labels.map((l, i) => r.classify("ticket-intent", unsureTicket(l), task(`b${i}`))));
  assert.deepEqual(results.map((x) => x.label), labels);
  assert.equal(s.requests().length, 1);
  const costs = results.map((x) => x.costUsd);
  assert.ok(costs.every((c) => c > 0 && Math.abs(c - costs[0]!) < 1e-12), "each task carries an equal share");
});
