import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../../cli/local-nats.js";
import { consumerInfo, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));
const decoder = new TextDecoder();

function mesh(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [cli, ...args], { env }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr })),
  );
}

const refund = (id: string) => ({ tenant: "acme", region: "eu", source: { system: "helpdesk", id }, payload: { text: "I want a refund for this purchase" } });
const read = async (bus: Bus, stream: string, filterSubject: string) =>
  (await readStream(bus, stream, { filterSubject })).map((m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; code?: string; reason?: string });

test("mesh replay --publish of a high-risk ticket two approvers decided publishes their signed decision again and the task resumes without a dead letter; of one nobody decided it refuses, naming the two approvers it needs", { timeout: 180_000 }, async (t) => {
  const port = await freePort();
  const { nats, bus } = await startTriageMesh(t, { agents: ["ingest", "triage", "review"], env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens } });
  const env = nats.cliEnv();
  const decided = envelopeId({ system: "helpdesk", id: "refund-decided" });
  const waiting = envelopeId({ system: "helpdesk", id: "refund-waiting" });
  await publish(bus, subjects.inbound("ticket"), refund("refund-decided"), { msgId: "raw-refund-decided" });
  await publish(bus, subjects.inbound("ticket"), refund("refund-waiting"), { msgId: "raw-refund-waiting" });

  const base = `http://127.0.0.1:${port}`;
  const [bob, carol] = [new Client(base), new Client(base)];
  await bob.signIn(tokens.bob);
  await carol.signIn(tokens.carol);
  await waitFor("both tickets in the review queue", async () => {
    const ids = ((await bob.request("GET", "/api/queue")).json.items as { id: string }[]).map((i) => i.id);
    return ids.includes(decided) && ids.includes(waiting);
  }, { timeoutMs: 90_000 });
  for (const who of [bob, carol]) {
    assert.equal((await who.request("POST", `/api/items/${decided}/claim`)).status, 200);
    const res = await who.request("POST", `/api/items/${decided}/decision`, { decision: "approve", confirmed: true });
    assert.equal(res.status, 200, res.text);
  }
  await waitFor("the approved ticket completed", async () => (await read(bus, streamNames.result, subjects.result("ticket"))).some((r) => r.envelopeId === decided), { timeoutMs: 60_000 });

  const replayed = await mesh(env, "replay", decided, "--publish");
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(replayed.stdout, /the decision bob and carol signed, published again/);
  const decisions = await read(bus, streamNames.review, subjects.reviewDecided("ticket"));
  assert.equal(decisions.filter((d) => d.envelopeId === decided).length, 2, "the original decision and its replay");
  // The triage agent has taken and settled every decision, the replay included: had four-eyes refused it, its letter is out by now.
  const last = Math.max(...(await readStream(bus, streamNames.review, { filterSubject: subjects.reviewDecided("ticket") })).map((m) => m.seq));
  await waitFor("triage resumed on the replayed decision", async () => {
    const info = await consumerInfo(bus, streamNames.review, "triage-resume");
    return info.delivered.stream_seq >= last && info.num_ack_pending === 0 && info.num_pending === 0;
  }, { timeoutMs: 30_000 });
  const letters = await read(bus, streamNames.dlq, subjects.dlq("ticket"));
  assert.deepEqual(letters.filter((l) => l.envelopeId === decided).map((l) => `${l.code}: ${l.reason}`), []);

  const refused = await mesh(env, "replay", waiting, "--publish");
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /needs 2 distinct approvers/);
  assert.match(refused.stderr, /have 2 approvers decide it in the review UI/);
  assert.equal((await read(bus, streamNames.review, subjects.reviewDecided("ticket"))).filter((d) => d.envelopeId === waiting).length, 0, "nothing published");
});
