import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { testDataKeysJson } from "../helpers/data-keys.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("a raw event dead-lettered for want of its region's key is kept sealed, and mesh dlq replay admits it once the key is there", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const euOnly = JSON.stringify({ eu: (JSON.parse(testDataKeysJson) as Record<string, unknown>).eu });
  const agents = await startAgents(t, nats, ["ingest"], { MESH_DATA_KEYS: euOnly });
  const bus = await nats.connect();
  const [event] = invoiceEvents(1, { system: "us-erp", region: "us" });
  await publish(bus, subjects.inbound("invoice"), event, { msgId: "us-1" });

  const [stored] = await waitFor("the dead letter", async () => {
    const msgs = await readStream(bus, streamNames.dlq);
    return msgs.length > 0 && msgs;
  });
  const letter = deadLetterSchema.parse(JSON.parse(Buffer.from(stored!.data).toString("utf8")));
  assert.equal(letter.code, "E_CONFIG");
  assert.match(letter.reason, /no data key for region us/);
  assert.equal(letter.body.encoding, "sealed");
  // In clear, only the source ref (as every outcome carries it, and the envelope does); the body only sealed.
  assert.deepEqual(letter.source, event!.source);
  const { source: _ref, ...rest } = letter;
  assert.ok(!JSON.stringify(rest).includes("us-erp") && !JSON.stringify(rest).includes(String(event!.payload.poNumber)), "the letter holds the raw event only sealed");
  assert.equal((await bus.jsm.streams.info(streamNames.in)).state.messages, 0, "and MESH_IN holds nothing");

  await agents.kill("ingest", "SIGTERM");
  await agents.start("ingest", { MESH_DATA_KEYS: testDataKeysJson });
  await run(process.execPath, [mesh, "dlq", "replay", "--seq", String(stored!.seq)], { env: { ...process.env, NATS_URL: nats.url, MESH_DATA_KEYS: testDataKeysJson } });
  const id = envelopeId(event!.source);
  await waitFor("the replayed event admitted", async () =>
    (await readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") })).some(
      (m) => (JSON.parse(Buffer.from(m.data).toString("utf8")) as { envelope: { id: string } }).envelope.id === id,
    ),
  );
  assert.equal((await readStream(bus, streamNames.dlq)).length, 0, "the letter is gone once replayed");
});
