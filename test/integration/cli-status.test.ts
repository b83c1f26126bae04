import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
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
  await waitFor("5 outcomes and a dead letter", async () => (await outcomes(bus, "invoice")).total >= 5 && (await readStream(bus, streamNames.dlq)).length >= 1);

  const status = async (id: string) => {
    const { stdout } = await run(process.execPath, [cli, "status", "invoice", "erp", id, "--json"], { env: nats.cliEnv() });
    return JSON.parse(stdout) as { state: string; envelopeId: string; result?: unknown; reason?: string; code?: string; admitted: unknown };
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
  assert.equal((await status("NEVER-SENT")).state, "not admitted");
  const human = await run(process.execPath, [cli, "status", "invoice", "erp", "INV-0"], { env: nats.cliEnv() });
  assert.match(human.stdout, /: done\n[\s\S]*result: /);

  // The caller's source ref rides on every outcome, so a publisher can follow one by subject without the id.
  const json = (m: { data: Uint8Array }) => JSON.parse(Buffer.from(m.data).toString("utf8")) as unknown;
  const results = (await readStream(bus, streamNames.result)).map((m) => resultMessageSchema.parse(json(m)));
  const reviews = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("invoice") })).map((m) => reviewRequestSchema.parse(json(m)));
  const letters = (await readStream(bus, streamNames.dlq)).map((m) => deadLetterSchema.parse(json(m)));
  for (const o of [...results, ...reviews, ...letters]) assert.ok(o.source && o.envelopeId === envelopeId(o.source), "outcome names its source ref and envelope id");
  assert.equal(letters[0]!.body.encoding === "sealed" && /^[0-9a-f]{64}$/.test(letters[0]!.body.sha256), true, "the ingest letter carries the body's sha256");
});
