import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { holdForShare, platformWindowOf } from "./platform-budget.js";

const headers = (limit: number, remaining: number, resetAt: number) => ({
  "x-ratelimit-limit": String(limit),
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": new Date(resetAt).toISOString(),
});

test("the mesh never posts into the part of the platform's limit its share leaves to others", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (limit, left, share) => {
      const remaining = Math.min(left, limit);
      const now = 1_700_000_000_000;
      const window = platformWindowOf(headers(limit, remaining, now + 60_000))!;
      const hold = holdForShare(window, share, now);
      const usedByMesh = limit - remaining;
      // Posting is allowed only while the next post keeps the mesh within its share of the limit.
      if (hold === 0) assert.ok(usedByMesh + 1 <= Math.floor(limit * share), `limit ${limit} remaining ${remaining} share ${share}`);
      else assert.equal(hold, 60_000);
    }),
  );
});

test("headers that are missing or malformed describe no window, and no window holds nothing", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"), fc.string()), (h) => {
      const w = platformWindowOf(h);
      if (w) assert.ok(Number.isInteger(w.limit) && Number.isInteger(w.remaining) && !Number.isNaN(w.resetAt));
      else assert.equal(holdForShare(w, 0.5), 0);
    }),
  );
  assert.equal(platformWindowOf({}), undefined);
});

test("a window whose reset has passed holds nothing", () => {
  assert.equal(holdForShare({ limit: 10, remaining: 0, resetAt: 1000 }, 0.5, 2000), 0);
});
