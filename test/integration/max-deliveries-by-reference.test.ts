import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { loadAgentConfig, loadAgentDefinition } from "../../shared/runtime/index.js";
import { declareAgentTopology } from "../../shared/runtime/mesh-topology.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { fastDelivery, startAgents } from "../helpers/mesh.js";
import { startSecureNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const meshCli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("a task whose last delivery died unacknowledged is dead-lettered by reference from the advisory, and the operator's replay completes it", { timeout: 180_000 }, async (t) => {
  const nats = await startSecureNats(t, ["ingest", "invoice"]);
  const env = { MAX_DELIVER: "1", MAX_PARKED_DELIVERIES: "1", ACK_WAIT_MS: "1000" };
  const operator = await nats.connect("operator");
  await declareAgentTopology(operator, await loadAgentDefinition("invoice"), loadAgentConfig({ ...fastDelivery, ...env, AGENT: "invoice" }));
  const mesh = await startAgents(t, nats, ["ingest"], env);
  const [event] = invoiceEvents(1, { system: "advisory" });
  await publish(operator, subjects.inbound("invoice"), event, { msgId: "advisory-1" });

  // A process that takes the task and dies before acking, on the only delivery allowed: nobody is left to dead-letter it.
  const consumer = await operator.js.consumers.get(streamNames.task, "invoice");
  const taken = await waitFor("the task delivered once", async () => (await consumer.next({ expires: 1000 })) ?? undefined);
  assert.equal(taken.info.redeliveryCount, 1);

  // It stays "in progress" until the invoice agent (which watches the advisory) is up, then its ack wait runs out.
  const inProgress = setInterval(() => taken.working(), 250);
  try {
    await mesh.start("invoice", env);
  } finally {
    clearInterval(inProgress);
  }
  const letter = await waitFor("a dead letter from the MAX_DELIVERIES advisory", async () => {
    const [m] = await readStream(operator, streamNames.dlq, { filterSubject: subjects.dlq("invoice") });
    return m && deadLetterSchema.parse(JSON.parse(new TextDecoder().decode(m.data)));
  });
  // The invoice identity may not read MESH_TASK back, so the letter points at the message instead of carrying it.
  assert.deepEqual(letter.body, { encoding: "in-stream" });
  assert.equal(letter.code, "E_MAX_DELIVERIES");
  assert.equal(letter.stream, streamNames.task);
  assert.equal(letter.streamSeq, taken.seq);

  const replay = await run(process.execPath, [meshCli, "dlq", "replay", "--flow", "invoice"], {
    env: { ...process.env, NATS_URL: nats.url, NATS_NKEY_SEED: nats.identities!.operator },
  });
  assert.match(replay.stderr, new RegExp(`broker ${nats.url} as nkey U\\S+ \\(NATS_NKEY_SEED\\)`));
  await waitFor("the replayed task completed", async () => (await outcomes(operator, "invoice")).total === 1, {
    describe: () => mesh.logs("invoice").slice(-1500),
  });
});
