import assert from "node:assert/strict";
import { test } from "node:test";
import { openStateStore, publish, subjects } from "../../shared/bus/index.js";
import { freePort } from "../../cli/local-nats.js";
import type { QueueItem } from "../../agents/review/queue.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { ticketRequest } from "../unit/review/fixtures.js";

test("the review service killed with SIGKILL with 50 items pending loses none and duplicates none after restart", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const port = await freePort();
  const env = { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens };
  const mesh = await startAgents(t, nats, ["review"], env);
  const bus = await nats.connect();
  const state = await openStateStore(bus, "mesh_state_review");
  const items = async () => (await state.values<QueueItem>("item")).map((e) => e.value);

  const requests = Array.from({ length: 50 }, (_, i) => ticketRequest(`pending ticket number ${i}`));
  await Promise.all(requests.map((r) => publish(bus, subjects.reviewRequested("ticket"), r, { msgId: `${r.envelopeId}:triage:escalated` })));

  // A reviewer is mid-way through one item when the process dies.
  const alice = new Client(`http://127.0.0.1:${port}`);
  assert.equal((await alice.signIn(tokens.alice)).status, 200);
  const first = await waitFor("the first item queued", async () => (await items())[0]);
  assert.equal((await alice.request("POST", `/api/items/${first.id}/claim`)).status, 200);

  const died = await mesh.kill("review", "SIGKILL");
  assert.equal(died.signal, "SIGKILL");
  const beforeRestart = (await items()).length;

  await mesh.start("review", env);
  const after = await waitFor("all 50 items after the restart", async () => {
    const all = await items();
    return all.length >= 50 && all;
  });
  assert.equal(after.length, 50, `exactly 50 items (${beforeRestart} were stored when it died)`);
  assert.deepEqual(new Set(after.map((i) => i.id)), new Set(requests.map((r) => r.envelopeId)));
  assert.equal(after.find((i) => i.id === first.id)?.claim?.reviewer, "alice", "the claim survived");

  // The session survived too (it lives in the same durable state), and the API shows the whole queue.
  const queue = await alice.request("GET", "/api/queue?pageSize=100");
  assert.equal(queue.status, 200);
  assert.equal(queue.json.items.length, 50);
  assert.equal(queue.json.total, 50);

  // Redelivering every request once more (a replayed stream) still adds nothing.
  await Promise.all(requests.map((r) => publish(bus, subjects.reviewRequested("ticket"), r, { msgId: `replay-${r.envelopeId}` })));
  await waitFor("the replayed requests consumed", async () => {
    const info = await bus.jsm.consumers.info("MESH_REVIEW", "review").catch(() => undefined);
    return info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0;
  }, { describe: async () => JSON.stringify((await bus.jsm.consumers.list("MESH_REVIEW").next()).map((c) => [c.name, c.num_pending, c.num_ack_pending])) });
  assert.equal((await items()).length, 50);
});
