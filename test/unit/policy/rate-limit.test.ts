import { test } from "node:test";
import assert from "node:assert/strict";
import { startNats } from "../../helpers/nats.js";
import { openRateLimitStore } from "../../../shared/bus/rate-limit-store.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { enforceRateLimits, RATE_LIMITED } from "../../../policy/rate-limit/index.js";

test("a global limit of N per minute with 3 replicas: at most N actions in the window", async (t) => {
  const nats = await startNats(t);
  const policy = loadPolicyFile(defaultPolicyPath);
  const task = { id: "t", flow: "ticket", region: "eu", tenant: "acme", classification: "internal" };
  const req = { action: "tool.call", principal: { agent: "triage" }, resource: { endpoint: "social-reply", region: "eu", trusted: true }, context: { task } } as const;
  const limit = policy.decide(req).obligations.find((o) => o.kind === "rate_limit");
  assert.ok(limit && limit.kind === "rate_limit", "the social reply carries a rate_limit obligation");
  // Pin the clock mid-window so the test cannot straddle a window boundary.
  const now = () => Math.floor(Date.now() / limit.windowMs) * limit.windowMs + limit.windowMs / 2;
  const replicas = await Promise.all([1, 2, 3].map(async (i) => openRateLimitStore(await nats.connect(`triage-${i}`), { now })));
  const attempts = replicas.flatMap((store) => Array.from({ length: 25 }, async () => (await enforceRateLimits(policy.decide(req), store)).decision));
  const decisions = await Promise.all(attempts);
  const allowed = decisions.filter((d) => d.effect === "allow").length;
  assert.equal(allowed, limit.limit, `${allowed} of ${decisions.length} allowed with a limit of ${limit.limit}`);
  const refused = decisions.find((d) => d.effect === "deny")!;
  assert.equal(refused.reasons[0], RATE_LIMITED);
  assert.match(refused.message, /rate limit "triage:social-reply" \(30 per 60 s, across all replicas\) is spent/);
});

test("a new window starts with a full allowance, and limits with different keys do not share tokens", async (t) => {
  const nats = await startNats(t);
  let clock = 1_000_000_000_000;
  const store = await openRateLimitStore(await nats.connect(), { now: () => clock });
  const takeN = async (key: string, n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if ((await store.take(key, 2, 1000)).allowed) ok++;
    return ok;
  };
  assert.equal(await takeN("a", 5), 2);
  assert.equal(await takeN("b:with spaces", 5), 2);
  clock += 1000;
  assert.equal(await takeN("a", 5), 2);
});

test("a sliding limit counts an effect until a window after it was done: a slow effect holds its token longer", async (t) => {
  const nats = await startNats(t);
  let clock = 1_000_000_000_000;
  const store = await openRateLimitStore(await nats.connect(), { now: () => clock });
  const first = await store.reserve("posts", 2, 1000, 30_000);
  const second = await store.reserve("posts", 2, 1000, 30_000);
  assert.ok(first.allowed && second.allowed);
  assert.equal((await store.reserve("posts", 2, 1000, 30_000)).allowed, false, "two in flight spend a limit of two");
  await first.settle(clock + 10);
  await second.settle(clock + 900);
  clock += 1011;
  const third = await store.reserve("posts", 2, 1000, 30_000);
  assert.ok(third.allowed, "the effect done a window ago no longer counts");
  const refused = await store.reserve("posts", 2, 1000, 30_000);
  assert.equal(refused.allowed, false, "the one done 111 ms ago still shares a window with a new one");
  assert.equal(refused.resetAt, 1_000_000_000_900 + 1000);
  await third.settle(null);
  assert.ok((await store.reserve("posts", 2, 1000, 30_000)).allowed, "a token given back is free again");
});

test("a sliding limit gives no more than its limit to three replicas reserving at once", async (t) => {
  const nats = await startNats(t);
  const replicas = await Promise.all([1, 2, 3].map(async () => openRateLimitStore(await nats.connect())));
  const taken = await Promise.all(replicas.flatMap((store) => Array.from({ length: 10 }, () => store.reserve("burst", 7, 60_000, 30_000))));
  assert.equal(taken.filter((r) => r.allowed).length, 7);
});

test("an unsettled token counts as in flight for inFlightMs, then a window more", async (t) => {
  const nats = await startNats(t);
  let clock = 2_000_000_000_000;
  const store = await openRateLimitStore(await nats.connect(), { now: () => clock });
  assert.ok((await store.reserve("lost", 1, 1000, 5000)).allowed);
  clock += 5999;
  assert.equal((await store.reserve("lost", 1, 1000, 5000)).allowed, false);
  clock += 1;
  assert.ok((await store.reserve("lost", 1, 1000, 5000)).allowed);
});
