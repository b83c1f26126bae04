import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../../cli/local-nats.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel } from "../../shared/models/index.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("mesh trace on a ticket that was triaged, escalated and reviewed shows every hop in order", { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const { nats, bus } = await startTriageMesh(t, {
    agents: ["ingest", "triage", "review"],
    env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens },
  });
  const source = { system: "helpdesk", id: "unsure" };
  const id = envelopeId(source);
  // Neither model is sure of this one: it goes to a human.
  const text = `ticket qqq www ${pinLabel("card_arrival", 0.3)} blorp`;
  await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source, payload: { text } }, { msgId: "raw-unsure" });

  const alice = new Client(`http://127.0.0.1:${port}`);
  await alice.signIn(tokens.alice);
  await waitFor("the ticket in the review queue", async () =>
    ((await alice.request("GET", "/api/queue")).json.items as { id: string }[]).some((i) => i.id === id), { timeoutMs: 90_000 });
  assert.equal((await alice.request("POST", `/api/items/${id}/claim`)).status, 200);
  const decided = await alice.request("POST", `/api/items/${id}/decision`, { decision: "correct", corrections: { intent: "card_delivery_estimate" } });
  assert.equal(decided.status, 200, decided.text);
  await waitFor("the corrected ticket completed", async () =>
    (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).length === 1, { timeoutMs: 60_000 });

  const { stdout } = await run(process.execPath, [cli, "trace", id], { env: nats.cliEnv() });
  const lines = stdout.split("\n").slice(1);
  const at = (pattern: RegExp) => {
    const i = lines.findIndex((l) => pattern.test(l));
    assert.ok(i >= 0, `no line matches ${pattern}\n${stdout}`);
    return i;
  };
  // The hops in causal order: ingest → triage's models → review request → the reviewer → resume and complete.
  const order = [
    at(/ingest\s+event\.emit done\s+mesh\.task\.ticket\.ingested/),
    at(/triage\s+model\.invoke done .*tier=small/),
    at(/triage\s+model\.invoke done .*tier=large/),
    at(/triage\s+event\.emit done\s+mesh\.review\.ticket\.requested/),
    at(/review\s+review\.decide done/),
    at(/triage\s+task\.complete done\s+mesh\.result\.ticket/),
  ];
  assert.deepEqual([...order].sort((a, b) => a - b), order, stdout);
  assert.ok(at(/review\s+event\.emit done\s+mesh\.label\.ticket/) > order[4]!, "the label follows the decision");
  assert.ok(at(/review\s+event\.emit done\s+mesh\.correction\.ticket/) > order[4]!, "the correction follows the decision");
  assert.match(stdout, /triage\s+model\.invoke done .*model=ticket-intent@\w+ tier=small/);
  assert.match(stdout, /triage\s+model\.invoke done .*model=stand-in-large.*tier=large/);
  assert.match(stdout, /review\s+review\.decide done .*reviewer=alice decision=correct/);
  const traceIds = new Set([...stdout.matchAll(/trace ([0-9a-f]{32})/g)].map((m) => m[1]));
  assert.equal(traceIds.size, 1, "one trace from ingest to completion");

  // The reviewer's work, seen from the CLI: the label in the export, the correction in the replay, an empty queue.
  const env = nats.cliEnv();
  const exported = (await run(process.execPath, [cli, "labels", "export", "--flow", "ticket"], { env })).stdout.trim().split("\n");
  assert.equal(exported.length, 1);
  const label = JSON.parse(exported[0]!) as { envelopeId: string; correction: string; reviewer: { id: string } };
  assert.deepEqual([label.envelopeId, label.correction, label.reviewer.id], [id, "card_delivery_estimate", "alice"]);
  const replay = JSON.parse((await run(process.execPath, [cli, "replay", id, "--json"], { env })).stdout) as { corrections: number; fields: Record<string, unknown> };
  assert.deepEqual(replay, { ...replay, corrections: 1, fields: { intent: "card_delivery_estimate" } });
  assert.match((await run(process.execPath, [cli, "review", "ls"], { env })).stdout, /review queue empty/);
});
