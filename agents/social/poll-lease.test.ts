import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStateStore } from "../../test/unit/review/memory-state-store.js";
import { pollLease } from "./poll-lease.js";

test("one replica polls at a time; another takes over once the lease lapses, from the cursor the first stored", async () => {
  const state = memoryStateStore();
  let clock = 1_000_000;
  const a = pollLease(state, "a", 10_000, () => clock);
  const b = pollLease(state, "b", 10_000, () => clock);
  assert.equal(await a.take(), "0");
  assert.equal(await b.take(), undefined, "the lease is a's");
  await a.advance("80");
  assert.equal(await a.take(), "80", "the holder keeps polling from its cursor");
  clock += 10_001;
  assert.equal(await b.take(), "80", "a stopped polling: b takes over where a got to");
  assert.equal(await a.take(), undefined);
  await a.advance("999");
  assert.equal(await b.take(), "80", "a replica that lost the lease cannot move the cursor");
});

test("two replicas taking a free lease at once: one gets it", async () => {
  const state = memoryStateStore();
  const got = await Promise.all(["a", "b", "c"].map((i) => pollLease(state, i, 10_000).take()));
  assert.equal(got.filter((c) => c !== undefined).length, 1);
});
