import assert from "node:assert/strict";
import { test } from "node:test";
import { openSessions } from "../../../agents/review/auth.js";
import { ReviewError } from "../../../agents/review/errors.js";
import { parseReviewSettings, settingsForLog } from "../../../agents/review/settings.js";
import { memoryStateStore } from "./memory-state-store.js";

const reviewers = { "tok-alice-0123456789": { id: "alice", roles: ["reviewer"] } };
const code = (err: unknown) => (err instanceof ReviewError ? err.code : String(err));

test("a session expires after its TTL and is pruned from the state; the store never holds the cookie value", async () => {
  let t = Date.parse("2026-01-01T00:00:00Z");
  const state = memoryStateStore();
  const sessions = await openSessions(state, { tokens: reviewers, ttlMs: 60_000, now: () => t });
  const { id } = await sessions.signIn("tok-alice-0123456789");
  assert.equal((await sessions.resolve(id)).reviewer.id, "alice");
  assert.equal((await state.keys("session")).some((k) => k.includes(id)), false, "stored under a hash of the id");
  t += 60_000;
  assert.equal(await sessions.prune(), 1);
  await assert.rejects(sessions.resolve(id), (err) => code(err) === "E_UNAUTHENTICATED");
  await assert.rejects(sessions.signIn("tok-alice-012345678"), (err) => code(err) === "E_UNAUTHENTICATED");
});

test("settings: tokens are zod-parsed with errors naming the field, and never printed", () => {
  assert.throws(() => parseReviewSettings({ REVIEW_TOKENS: "{not json" }), /REVIEW_TOKENS: must be a JSON object/);
  assert.throws(() => parseReviewSettings({ REVIEW_TOKENS: JSON.stringify({ short: { id: "a", roles: [] } }) }), /REVIEW_TOKENS/);
  assert.throws(() => parseReviewSettings({ REVIEW_TOKENS: JSON.stringify({ "tok-alice-0123": { roles: ["reviewer"] } }) }), /id/);
  assert.throws(() => parseReviewSettings({ REVIEW_PORT: "70000" }), /REVIEW_PORT/);
  const s = parseReviewSettings({ REVIEW_TOKENS: JSON.stringify(reviewers), REVIEW_PORT: "0" });
  assert.equal(s.REVIEW_PORT, 0);
  assert.equal(s.REVIEW_TOKENS["tok-alice-0123456789"]?.id, "alice");
  const printed = JSON.stringify(settingsForLog(s));
  assert.doesNotMatch(printed, /tok-alice/);
  assert.match(printed, /alice/);
});

test("a replica resolves a session from memory, and a sign-out on another replica ends it there too", async () => {
  const state = memoryStateStore();
  let reads = 0;
  const counted = { ...state, get: <T>(key: string) => (reads++, state.get<T>(key)) };
  const a = await openSessions(counted, { tokens: reviewers, ttlMs: 60_000 });
  const b = await openSessions(counted, { tokens: reviewers, ttlMs: 60_000 });
  const { id } = await a.signIn("tok-alice-0123456789");
  for (let i = 0; i < 5; i++) assert.equal((await b.resolve(id)).reviewer.id, "alice");
  assert.equal(reads, 0, "no store read per request");
  await a.signOut(id);
  await assert.rejects(b.resolve(id), (err) => code(err) === "E_UNAUTHENTICATED");
  a.stop();
  b.stop();
});
