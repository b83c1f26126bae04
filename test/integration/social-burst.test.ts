import assert from "node:assert/strict";
import { test } from "node:test";
import { readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";
import { streamCount } from "../helpers/outcomes.js";
import { crowd, mentionBurst, startSocialMesh } from "../helpers/social-mesh.js";
import { waitFor } from "../helpers/wait.js";

/** The burst; `SOCIAL_BURST=500` for a quick look. */
const mentions = Number(process.env.SOCIAL_BURST ?? 10_000);
const budget = { limit: 10, windowMs: 1000 };
const platformLimit = { postLimit: 30, windowMs: 1000 };
/** Posts a replica may have under way when a 429 is stored: 3 replicas × the agent's concurrency (4). */
const inFlightBound = 12;

test(`a burst of ${mentions} mentions over 3 replicas: posts never exceed the budget in any window the platform sees, never reach bots, locked or own accounts, answer each thread and author at most once, and honour a 429's Retry-After`, { timeout: 240_000 }, async (t) => {
  const nats = await startNats(t);
  const social = await startSocialMesh(t, nats, { replicas: 3, budget, platform: platformLimit });
  const people = crowd(60, 10, 10);
  await social.admin("/_admin/accounts", people.accounts);
  const burst = mentionBurst(people, mentions, 40, social.platform.ownAccountId);
  for (let i = 0; i < burst.length; i += 2000) await social.admin("/_admin/statuses", burst.slice(i, i + 2000));
  const bus = await nats.connect();
  const started = Date.now();

  // Mid-burst the platform answers every post 429 for a while (as its per-IP limits do): the replicas must hold until
  // its Retry-After passes. The budget keeps posting going for seconds, so posts are still being tried then.
  await waitFor("the first post", async () => social.platform.posts.length > 0);
  await social.admin("/_admin", { throttleMs: 2000 });
  const throttledUntil = Date.now() + 2000;

  await waitFor(`a result for each of the ${mentions} mentions`, async () => (await streamCount(bus, streamNames.result, subjects.result("social"))) >= mentions, {
    timeoutMs: 220_000,
    intervalMs: 1000,
  });

  const posts = social.platform.posts;
  assert.ok(posts.length > 0, "some mentions were answered");
  assert.deepEqual(posts.filter((p) => p.toAuthorId && (people.bots.has(p.toAuthorId) || people.locked.has(p.toAuthorId))), [], "no reply to a bot or a locked account");
  assert.deepEqual(posts.filter((p) => p.toAuthorId === social.platform.ownAccountId), [], "no reply to the mesh's own account");
  const perThread = count(posts.map((p) => p.thread));
  const perAuthor = count(posts.map((p) => p.toAuthorId));
  assert.ok(Math.max(...perThread.values()) === 1, `replies per thread: ${[...perThread.values()].join(",")}`);
  assert.ok(Math.max(...perAuthor.values()) === 1, `replies per author: ${[...perAuthor.values()].join(",")}`);
  // The budget is a sliding window counted when each post's answer came back, so it holds in every window of the
  // platform's own clock (when each post arrived there), not only in windows aligned to the epoch.
  const busiest = busiestWindow(posts.map((p) => p.at), budget.windowMs);
  assert.ok(busiest.count <= budget.limit, `${busiest.count} posts arrived in the ${budget.windowMs} ms from ${busiest.from} (budget ${budget.limit})`);
  const { refusals, postsDuringRetryAfter } = social.platform;
  assert.ok(refusals.length > 0, "the platform answered 429 during its throttle");
  assert.deepEqual(refusals.filter((r) => r.at > throttledUntil), [], "no 429 but the throttle's: the budget kept the mesh below the platform's limit");
  assert.ok(postsDuringRetryAfter <= inFlightBound, `${postsDuringRetryAfter} posts were tried during a Retry-After (429 honoured by every replica)`);

  const results = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("social") })).map(
    (m) => (JSON.parse(Buffer.from(m.data).toString("utf8")) as { envelopeId: string; result: { replied: boolean; refusedBy?: string[] } }),
  );
  assert.equal(new Set(results.map((r) => r.envelopeId)).size, mentions, "one result per mention (replicas polling the same mentions make one task each)");
  assert.equal(results.filter((r) => r.result.replied).length, posts.length);
  const refusedBy = new Set(results.flatMap((r) => r.result.refusedBy ?? []));
  for (const rule of ["social-never-bots", "social-never-locked", "social-never-own-account"]) assert.ok(refusedBy.has(rule), `some mention was refused by ${rule}`);
  const audited = (await readStream(bus, streamNames.audit))
    .map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { kind: string; action: string; effect: string; reasons?: string[] })
    .filter((r) => r.kind === "decision" && r.action === "tool.call" && r.effect === "deny");
  assert.ok(audited.some((r) => r.reasons?.includes("social-never-bots")), "refusals are audited with their rule");
  assert.equal(await streamCount(bus, streamNames.dlq), 0, "no mention was dead-lettered");
  t.diagnostic(`${mentions} mentions answered or refused in ${((Date.now() - started) / 1000).toFixed(1)} s (after start-up) → ${posts.length} posts; busiest ${budget.windowMs} ms window held ${busiest.count} (budget ${budget.limit})`);
});

/** The most posts in any window [t, t + windowMs) (only windows starting at a post can hold the most). */
function busiestWindow(times: readonly number[], windowMs: number): { count: number; from: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { count: 0, from: 0 };
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    if (j - i > best.count) best = { count: j - i, from: sorted[i]! };
  }
  return best;
}

function count<T>(values: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
