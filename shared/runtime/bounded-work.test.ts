import assert from "node:assert/strict";
import { test } from "node:test";
import { boundedWork } from "./bounded-work.js";

/** A job that runs until the test lets it finish. */
function heldJob() {
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  let started = false;
  return {
    job: async () => {
      started = true;
      await gate;
      return "done";
    },
    finish: () => finish(),
    get started() {
      return started;
    },
  };
}

test("bounded work runs at most its concurrency, queues up to its limit and refuses the rest at once with a retryable E_RATE_LIMITED", async () => {
  const work = boundedWork("the status service", { concurrency: 2, queue: 1 });
  const jobs = [heldJob(), heldJob(), heldJob()];
  const running = jobs.map((j) => work.run(j.job));
  assert.deepEqual(jobs.map((j) => j.started), [true, true, false], "the third waits for a slot");
  assert.equal(work.waiting, 1);

  await assert.rejects(work.run(async () => "never"), (err: { code?: string; transient?: boolean; message?: string }) => {
    assert.equal(err.code, "E_RATE_LIMITED");
    assert.equal(err.transient, true);
    assert.match(err.message ?? "", /the status service is busy \(2 running, 1 waiting\)/);
    return true;
  });

  jobs[0]!.finish();
  await running[0];
  assert.equal(jobs[2]!.started, true, "a finished job hands its slot to the next in line");
  jobs[1]!.finish();
  jobs[2]!.finish();
  assert.deepEqual(await Promise.all(running), ["done", "done", "done"]);
  assert.equal(work.running, 0);
});

test("a job that throws still frees its slot", async () => {
  const work = boundedWork("x", { concurrency: 1, queue: 0 });
  await assert.rejects(work.run(async () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await work.run(async () => "next"), "next");
});
