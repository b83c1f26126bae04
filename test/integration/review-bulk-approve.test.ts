import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort } from "../../cli/local-nats.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel } from "../../shared/models/index.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();

test("bulk approval on the mesh: two unsure tickets with the same suggestion, approved together, each resume to their own result with the approved intent", { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const { bus } = await startTriageMesh(t, { agents: ["ingest", "triage", "review"], env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens } });
  const keys = ["bulk-a", "bulk-b"];
  const ids = keys.map((k) => envelopeId({ system: "helpdesk", id: k }));
  for (const k of keys)
    await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: k }, payload: { text: `ticket ${k} zzq ${pinLabel("card_arrival", 0.3)} vrr` } }, { msgId: `raw-${k}` });

  const alice = new Client(`http://127.0.0.1:${port}`);
  await alice.signIn(tokens.alice);
  const rows = await waitFor("both tickets in the queue, bulk-approvable", async () => {
    const items = (await alice.request("GET", "/api/queue")).json?.items as { id: string; prediction: string; bulkApprovable: boolean }[] | undefined;
    const mine = (items ?? []).filter((i) => ids.includes(i.id));
    return mine.length === 2 ? mine : undefined;
  }, { timeoutMs: 90_000 });
  // Texts alike but for their id: the models suggest the same intent for both.
  const suggestion = rows[0]!.prediction;
  assert.deepEqual(rows.map((r) => [r.prediction, r.bulkApprovable]), [[suggestion, true], [suggestion, true]]);

  const done = await alice.request("POST", "/api/bulk/approve", { ids, suggestion });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.approved, 2, done.text);
  const decisions = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewDecided("ticket") })).map((m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; signature: string });
  assert.deepEqual(decisions.map((d) => d.envelopeId).sort(), [...ids].sort(), "one signed decision per ticket");
  const results = await waitFor("both tickets completed", async () => {
    const all = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).map((m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; result: { intent: string } });
    const mine = all.filter((r) => ids.includes(r.envelopeId));
    return mine.length === 2 ? mine : undefined;
  }, { timeoutMs: 60_000 });
  assert.deepEqual(results.map((r) => r.result.intent), [suggestion, suggestion]);
});
