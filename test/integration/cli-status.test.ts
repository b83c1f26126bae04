import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { createEnvelope, envelopeId } from "../../shared/envelope/index.js";
import { resultMessageSchema, reviewRequestSchema } from "../../shared/runtime/index.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("mesh status answers by the caller's source ref: done with the result, waiting for review, dead-lettered with the reason, not admitted; every outcome carries the source ref", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const events = invoiceEvents(5, { system: "erp" });
  assert.equal(expectedInvoiceOutcome(0), "completed");
  assert.equal(expectedInvoiceOutcome(4), "escalated");
  const bad = { ...events[0]!, source: { system: "erp", id: "BAD-1" }, payload: { ...events[0]!.payload, amount: "twelve" } };
  await Promise.all([...events, bad].map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `status-${i}` })));
  // A task the invoice agent dead-letters: its envelope's digest does not match its content.
  const valid = createEnvelope("invoice", JSON.stringify({ ...events[0]!, source: { system: "erp", id: "TAMPERED-1" } }), { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  await publish(bus, subjects.task("invoice", "ingested"), { envelope: { ...valid, digest: `sha256:${"0".repeat(64)}` }, stage: "ingested", from: { name: "test", version: "0.0.0" } }, { msgId: "tampered" });
  await waitFor("5 outcomes and two dead letters", async () => (await outcomes(bus, "invoice")).total >= 5 && (await readStream(bus, streamNames.dlq)).length >= 2);

  const status = async (id: string) => {
    const { stdout } = await run(process.execPath, [cli, "status", "invoice", "erp", id, "--json"], { env: nats.cliEnv() });
    return JSON.parse(stdout) as { state: string; envelopeId: string; result?: unknown; reason?: string; code?: string; agent?: string; admitted: unknown };
  };
  const done = await status("INV-0");
  assert.equal(done.state, "done");
  assert.equal(done.envelopeId, envelopeId({ system: "erp", id: "INV-0" }));
  assert.deepEqual((done.result as { matched: boolean }).matched, true);
  const escalated = await status("INV-4");
  assert.equal(escalated.state, "waiting for review");
  const refused = await status("BAD-1");
  assert.equal(refused.state, "dead-lettered");
  assert.equal(refused.code, "E_SCHEMA");
  assert.match(refused.reason!, /payload\.amount/);
  assert.equal(refused.admitted, null);
  const tampered = await status("TAMPERED-1");
  assert.equal(tampered.state, "dead-lettered", "a letter that points at its task message is found by the message's envelope");
  assert.equal(tampered.agent, "invoice");
  assert.match(tampered.reason!, /envelope\.digest/);
  assert.equal((await status("NEVER-SENT")).state, "not admitted");
  const human = await run(process.execPath, [cli, "status", "invoice", "erp", "INV-0"], { env: nats.cliEnv() });
  assert.match(human.stdout, /: done\n[\s\S]*result: /);

  // The caller's source ref rides on every outcome, so a publisher can follow one by subject without the id.
  const json = (m: { data: Uint8Array }) => JSON.parse(Buffer.from(m.data).toString("utf8")) as unknown;
  const results = (await readStream(bus, streamNames.result)).map((m) => resultMessageSchema.parse(json(m)));
  const reviews = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("invoice") })).map((m) => reviewRequestSchema.parse(json(m)));
  const letters = (await readStream(bus, streamNames.dlq)).map((m) => deadLetterSchema.parse(json(m)));
  const ingestLetter = letters.find((l) => l.agent === "ingest")!;
  for (const o of [...results, ...reviews, ingestLetter]) assert.ok(o.source && o.envelopeId === envelopeId(o.source), "outcome names its source ref and envelope id");
  assert.ok(ingestLetter.body.encoding === "sealed" && /^[0-9a-f]{64}$/.test(ingestLetter.body.sha256) && ingestLetter.streamSeq > 0, "the ingest letter carries the body's sha256 and its stream sequence");
});
