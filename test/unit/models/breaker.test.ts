import { test } from "node:test";
import assert from "node:assert/strict";
import { createBreaker, type BreakerState } from "../../../shared/models/index.js";
import { MeshError } from "../../../shared/errors/index.js";

const clock = () => {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};
const fail = () => Promise.reject(new Error("boom"));
const ok = () => Promise.resolve("ok");

test("opens when the error share over the window reaches the limit, then refuses with a transient E_BREAKER_OPEN", async () => {
  const c = clock();
  const states: BreakerState[] = [];
  const b = createBreaker({ name: "ep", minCalls: 4, windowSize: 4, errorRateToOpen: 0.5, openMs: 1_000, now: c.now, onStateChange: (s) => states.push(s) });
  await b.run(ok);
  await b.run(ok);
  await assert.rejects(b.run(fail), /boom/);
  assert.equal(b.state, "closed", "3 calls are under minCalls");
  await assert.rejects(b.run(fail), /boom/);
  assert.equal(b.state, "open");
  let called = false;
  await assert.rejects(
    b.run(async () => {
      called = true;
    }),
    (err: unknown) => err instanceof MeshError && err.code === "E_BREAKER_OPEN" && err.transient,
  );
  assert.equal(called, false, "an open breaker does not call through");
  assert.deepEqual(states, ["open"]);
});

test("half-open lets one probe through: success closes, failure opens again", async () => {
  const c = clock();
  const b = createBreaker({ name: "ep", minCalls: 2, windowSize: 2, errorRateToOpen: 0.5, openMs: 1_000, now: c.now });
  await assert.rejects(b.run(fail));
  await assert.rejects(b.run(fail));
  assert.equal(b.state, "open");
  c.advance(1_000);
  assert.equal(b.state, "half-open");
  await assert.rejects(b.run(fail), /boom/);
  assert.equal(b.state, "open", "a failed probe reopens");
  c.advance(1_000);
  let release!: () => void;
  const probe = b.run(() => new Promise<string>((r) => (release = () => r("ok"))));
  await assert.rejects(b.run(ok), (e: unknown) => e instanceof MeshError && e.code === "E_BREAKER_OPEN", "only one probe at a time");
  release();
  assert.equal(await probe, "ok");
  assert.equal(b.state, "closed");
  assert.equal(await b.run(ok), "ok");
});

test("opens on slow calls even when they succeed", async () => {
  const c = clock();
  const b = createBreaker({ name: "ep", minCalls: 3, windowSize: 3, slowCallMs: 100, slowRateToOpen: 0.6, openMs: 1_000, now: c.now });
  const slow = async () => {
    c.advance(500);
    return "late";
  };
  await b.run(slow);
  await b.run(ok);
  assert.equal(b.state, "closed");
  await b.run(slow);
  assert.equal(b.state, "open");
});

test("errors the caller marks as not-a-failure do not open it", async () => {
  const b = createBreaker({ name: "ep", minCalls: 1, windowSize: 1, isFailure: () => false });
  await assert.rejects(b.run(fail));
  assert.equal(b.state, "closed");
});
