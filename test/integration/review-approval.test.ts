import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort } from "../../cli/local-nats.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();

test("a high-risk ticket waits for two approvers: anonymous 401, no-role 403, reviewer 403, the first approval decides nothing, the second, distinct approver completes the task", { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const { mesh, bus } = await startTriageMesh(t, {
    agents: ["ingest", "triage", "review"],
    env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens },
  });
  const id = envelopeId({ system: "helpdesk", id: "refund" });
  await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: "refund" }, payload: { text: "I want a refund for this purchase" } }, { msgId: "raw-refund" });

  const base = `http://127.0.0.1:${port}`;
  const bob = new Client(base);
  await bob.signIn(tokens.bob);
  const row = await waitFor("the ticket in the review queue", async () =>
    ((await bob.request("GET", "/api/queue")).json.items as { id: string; requiresApproval: boolean; prediction: string; approversNeeded?: number }[]).find((i) => i.id === id),
  { timeoutMs: 90_000 });
  assert.equal(row.requiresApproval, true);
  assert.equal(row.prediction, "request_refund");

  assert.equal((await new Client(base).request("GET", "/api/queue")).status, 401);
  const eve = new Client(base);
  await eve.signIn(tokens.eve);
  assert.equal((await eve.request("GET", `/api/items/${id}`)).status, 403);
  const alice = new Client(base);
  await alice.signIn(tokens.alice);
  assert.equal((await alice.request("POST", `/api/items/${id}/claim`)).status, 403);

  assert.equal(row.approversNeeded ?? (await bob.request("GET", `/api/items/${id}`)).json.approversNeeded, 2, "the request names policy's two approvers");
  assert.equal((await bob.request("POST", `/api/items/${id}/claim`)).status, 200);
  const first = await bob.request("POST", `/api/items/${id}/decision`, { decision: "approve", comment: "refund is due", confirmed: true });
  assert.deepEqual(first.json, { pending: { approvals: 1, needed: 2 } }, first.text);
  assert.equal((await readStream(bus, streamNames.review, { filterSubject: subjects.reviewDecided("ticket") })).length, 0, "one approval publishes no decision");

  const carol = new Client(base);
  await carol.signIn(tokens.carol);
  assert.equal((await carol.request("POST", `/api/items/${id}/claim`)).status, 200);
  const decided = await carol.request("POST", `/api/items/${id}/decision`, { decision: "approve", confirmed: true });
  assert.equal(decided.status, 200, decided.text);
  assert.equal(decided.json.decision.reviewer.id, "carol");
  assert.deepEqual(decided.json.decision.approvals.map((a: { reviewer: { id: string } }) => a.reviewer.id), ["bob"]);

  const result = await waitFor("the approved ticket completed", async () =>
    (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") }))
      .map((m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; result: { intent: string; decision: string } })
      .find((r) => r.envelopeId === id),
  { timeoutMs: 60_000 });
  assert.equal(result.result.intent, "request_refund");
  assert.equal(result.result.decision, "approve");

  const metrics = await (await fetch(`http://127.0.0.1:${mesh.get("review").httpPort}/metrics`)).text();
  assert.match(metrics, /mesh_review_duration_seconds_count\{[^}]*flow="ticket"[^}]*\} 1/);
  await waitFor("the queue depth back to 0", async () =>
    /mesh_review_queue_depth\{[^}]*flow="ticket"[^}]*\} 0/.test(await (await fetch(`http://127.0.0.1:${mesh.get("review").httpPort}/metrics`)).text()),
  { timeoutMs: 10_000 });
});
