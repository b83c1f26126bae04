import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { openStateStore, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { controlKey, controlSchema } from "../../agents/social/control.js";
import { startNats } from "../helpers/nats.js";
import { streamCount } from "../helpers/outcomes.js";
import { crowd, startSocialMesh, type SocialMesh } from "../helpers/social-mesh.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));
/**
 * Handlers that may be past their switch check when it flips: 3 replicas × the agent's concurrency (4). The check is
 * the last read before the post, so what it bounds is posts already on their way; the diagnostic prints how long
 * after the switch the last of them landed (the "within 1 s").
 */
const inFlightBound = 12;

/** `n` mentions, each by its own person in its own thread, starting at person `from`. */
async function mentionWave(social: SocialMesh, from: number, n: number, tag: string): Promise<string[]> {
  const statuses = Array.from({ length: n }, (_, i) => ({ id: `${tag}${String(from + i).padStart(5, "0")}`, authorId: String(100 + from + i), text: `question ${i}`, mentionsSelf: true }));
  await social.admin("/_admin/statuses", statuses);
  return statuses.map((s) => s.id);
}

async function results(bus: Bus): Promise<{ envelopeId: string; source: { id: string }; result: { replied: boolean; reason?: string; mode?: string; draft?: string } }[]> {
  return (await readStream(bus, streamNames.result, { filterSubject: subjects.result("social") })).map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")));
}

test("mesh social pause stops posting on every replica (only handlers already past the switch post); resume --shadow drafts and audits every mention and posts nothing", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  // A slow budget keeps posting going while the switch flips.
  const social = await startSocialMesh(t, nats, { replicas: 3, budget: { limit: 3, windowMs: 1000 }, platform: { postLimit: 1000, windowMs: 1000 } });
  await social.admin("/_admin/accounts", crowd(200, 0, 0).accounts);
  const bus = await nats.connect();
  const mesh = (...args: string[]) => run(process.execPath, [cli, "social", ...args], { env: nats.cliEnv() });

  await mentionWave(social, 0, 40, "7");
  await waitFor("the first posts", async () => social.platform.posts.length >= 3);
  await mesh("pause", "--reason", "test");
  // From the moment the switch record was made (before it was stored): every replica reads it before each post.
  const pausedAt = Date.parse((controlSchema.parse((await (await openStateStore(bus, "mesh_state_social")).get(controlKey))?.value)).at);
  await waitFor("a result for each mention of the first wave", async () => (await streamCount(bus, streamNames.result, subjects.result("social"))) >= 40, { timeoutMs: 120_000 });
  const late = social.platform.posts.filter((p) => p.at > pausedAt);
  assert.ok(late.length <= inFlightBound, `${late.length} posts arrived after the pause was stored`);
  const paused = (await results(bus)).filter((r) => r.result.reason === "paused");
  assert.ok(paused.length > 0 && paused.length + social.platform.posts.length === 40, `paused ${paused.length}, posted ${social.platform.posts.length}`);
  t.diagnostic(`pause: ${late.length} in-flight posts landed after it, the last ${late.length ? Math.max(...late.map((p) => p.at)) - pausedAt : 0} ms after the switch was stored`);

  const postsBefore = social.platform.posts.length;
  await mesh("resume", "--shadow");
  const shadowIds = await mentionWave(social, 100, 20, "8");
  await waitFor("a result for each shadow mention", async () => (await streamCount(bus, streamNames.result, subjects.result("social"))) >= 60, { timeoutMs: 60_000 });
  assert.equal(social.platform.posts.length, postsBefore, "shadow mode posts nothing");
  const shadow = (await results(bus)).filter((r) => shadowIds.includes(r.source.id));
  assert.equal(shadow.length, 20);
  assert.ok(shadow.every((r) => r.result.mode === "shadow" && typeof r.result.draft === "string" && r.result.draft.length > 0), "each shadow result holds its draft");
  const audited = new Set(
    (await readStream(bus, streamNames.audit))
      .map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { action: string; taskId?: string })
      .filter((r) => r.action === "task.complete")
      .map((r) => r.taskId),
  );
  assert.ok(shadow.every((r) => audited.has(r.envelopeId)), "every draft's completion is audited");
  const { stdout } = await mesh("status", "--json");
  assert.equal((JSON.parse(stdout) as { mode: string }).mode, "shadow");
});

test("a 429 from the platform holds every replica until its Retry-After ends, then the mentions are answered", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const social = await startSocialMesh(t, nats, { replicas: 3, budget: { limit: 100, windowMs: 1000 }, platform: { postLimit: 1000, windowMs: 1000 } });
  await social.admin("/_admin/accounts", crowd(50, 0, 0).accounts);
  await social.admin("/_admin", { throttleMs: 3000 });
  const bus = await nats.connect();
  await mentionWave(social, 0, 20, "9");
  await waitFor("a result for each mention", async () => (await streamCount(bus, streamNames.result, subjects.result("social"))) >= 20, { timeoutMs: 100_000 });
  const { refusals, posts, postsDuringRetryAfter } = social.platform;
  assert.ok(refusals.length > 0, "the platform answered 429");
  assert.equal(posts.length, 20, "every mention was answered once the Retry-After passed");
  assert.ok(postsDuringRetryAfter <= inFlightBound, `${postsDuringRetryAfter} posts came during a Retry-After`);
  assert.equal(await streamCount(bus, streamNames.dlq), 0, "waiting for the platform is not a failure");
  t.diagnostic(`429s: ${refusals.length}; attempts during Retry-After: ${postsDuringRetryAfter}`);
});

test("a 403 from the platform stops posting on every replica and raises mesh_social_posting_stopped", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const social = await startSocialMesh(t, nats, { replicas: 2, budget: { limit: 100, windowMs: 1000 }, platform: { postLimit: 1000, windowMs: 1000 } });
  await social.admin("/_admin/accounts", crowd(50, 0, 0).accounts);
  await social.admin("/_admin", { suspended: true });
  const bus = await nats.connect();
  await mentionWave(social, 0, 10, "6");
  await waitFor("a result for each mention", async () => (await streamCount(bus, streamNames.result, subjects.result("social"))) >= 10, { timeoutMs: 100_000 });
  assert.equal(social.platform.posts.length, 0);
  const { stdout } = await run(process.execPath, [cli, "social", "status", "--json"], { env: nats.cliEnv() });
  const status = JSON.parse(stdout) as { mode: string; reason: string };
  assert.equal(status.mode, "paused");
  assert.match(status.reason, /403/);
  const stopped = await waitFor("a replica reporting the stop", async () => {
    const metrics = await fetch(`http://127.0.0.1:${social.mesh.get("social").httpPort}/metrics`).then((r) => r.text());
    return /^mesh_social_posting_stopped(\{[^}]*\})? 1$/m.test(metrics) || undefined;
  });
  assert.ok(stopped);
});
