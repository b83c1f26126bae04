import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { waitFor } from "../helpers/wait.js";
import { startTestService, tokens } from "../unit/review/harness.js";

/** POST /api/session from a chosen loopback address (127.0.0.0/8 all reach the server on 127.0.0.1). */
function signInFrom(url: string, from: string, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/session`,
      { method: "POST", localAddress: from, headers: { "content-type": "application/json", origin: url, "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("a sixth wrong token within a minute from one address is refused with 429 and Retry-After, and so is the right token", async (t) => {
  const { service } = await startTestService(t);
  const url = `http://127.0.0.1:${service.port}`;
  for (let i = 0; i < 5; i++) assert.equal((await signInFrom(url, "127.0.0.2", `wrong-token-${i}`)).status, 401, `guess ${i}`);
  const blocked = await signInFrom(url, "127.0.0.2", "wrong-token-5");
  assert.equal(blocked.status, 429);
  const wait = Number(blocked.retryAfter);
  assert.ok(wait >= 1 && wait <= 60, `Retry-After ${blocked.retryAfter}`);
  assert.equal((await signInFrom(url, "127.0.0.2", tokens.alice)).status, 429, "a right guess while blocked says nothing");
  assert.equal((await signInFrom(url, "127.0.0.3", tokens.alice)).status, 200, "another client is not blocked");
});

test("one token guessed from many addresses is refused after five failures, wherever the sixth comes from", async (t) => {
  const { service } = await startTestService(t);
  const url = `http://127.0.0.1:${service.port}`;
  for (let i = 0; i < 5; i++) assert.equal((await signInFrom(url, `127.0.1.${i + 1}`, "tok-alice-guess")).status, 401);
  assert.equal((await signInFrom(url, "127.0.1.9", "tok-alice-guess")).status, 429);
  assert.equal((await signInFrom(url, "127.0.1.9", tokens.bob)).status, 200, "the address itself has failed only once");
});

test("a blocked address may sign in again once its failures leave the window", async (t) => {
  const { service } = await startTestService(t, { REVIEW_SIGNIN_WINDOW_MS: "1500" });
  const url = `http://127.0.0.1:${service.port}`;
  for (let i = 0; i < 5; i++) await signInFrom(url, "127.0.0.4", `nope-${i}-guessing`);
  assert.equal((await signInFrom(url, "127.0.0.4", tokens.alice)).status, 429);
  await waitFor("the window to pass", async () => (await signInFrom(url, "127.0.0.4", tokens.alice)).status === 200, { timeoutMs: 10_000, intervalMs: 250 });
});
