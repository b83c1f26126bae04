import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { createEnvelope } from "../../shared/envelope/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

interface Report {
  readonly admitted: number;
  readonly missing: { envelopeId: string }[];
  readonly doubled: { envelopeId: string; outcomes: number }[];
}

test("mesh reconcile finds a planted missing outcome (exit 3) and a planted double (exit 4), naming each by envelope id", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const events = invoiceEvents(10, { system: "erp" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `rec-${i}` })));
  await waitFor("10 outcomes", async () => (await outcomes(bus, "invoice")).total >= 10);
  const reconcile = (...extra: string[]) =>
    new Promise<{ code: number; report: Report }>((resolve, reject) =>
      execFile(process.execPath, [cli, "reconcile", "invoice", "--json", ...extra], { env: nats.cliEnv() }, (err, stdout) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        try {
          resolve({ code, report: JSON.parse(stdout) as Report });
        } catch {
          reject(err ?? new Error(stdout));
        }
      }),
    );
  // A bad republish of an admitted event is refused on its own: its letter is not a second outcome of the task.
  await publish(bus, subjects.inbound("invoice"), { ...events[1]!, payload: { ...events[1]!.payload, amount: "twelve" } }, { msgId: "rec-bad-republish" });
  await waitFor("the republish's letter", async () => (await readStream(bus, streamNames.dlq)).length >= 1);
  const clean = await reconcile();
  assert.deepEqual([clean.code, clean.report.admitted, clean.report.missing, clean.report.doubled], [0, 10, [], []]);

  // Missing: a task admitted while no invoice agent runs, so nothing ever answers it.
  await mesh.kill("invoice", "SIGTERM");
  const orphan = createEnvelope("invoice", JSON.stringify({ ...events[0]!, source: { system: "erp", id: "ORPHAN" } }), { traceparent });
  await publish(bus, subjects.task("invoice", "ingested"), { envelope: orphan, stage: "ingested", from: { name: "test", version: "0.0.0" } }, { msgId: "planted-orphan" });
  const missing = await reconcile();
  assert.equal(missing.code, 3);
  assert.deepEqual(missing.report.missing.map((m) => m.envelopeId), [orphan.id]);

  // Doubled: a second result for a completed task, published past the dedupe (another message id), as the operator.
  const [first] = await readStream(bus, streamNames.result, { filterSubject: subjects.result("invoice"), limit: 1 });
  const twice = JSON.parse(Buffer.from(first!.data).toString("utf8")) as { envelopeId: string };
  await publish(bus, subjects.result("invoice"), twice, { msgId: "planted-double" });
  const doubled = await reconcile();
  assert.equal(doubled.code, 4, "a double outranks a missing one");
  assert.deepEqual(doubled.report.doubled.map((d) => [d.envelopeId, d.outcomes]), [[twice.envelopeId, 2]]);
  assert.deepEqual(doubled.report.missing.map((m) => m.envelopeId), [orphan.id]);

  const later = await reconcile("--since", new Date(Date.now() + 60_000).toISOString());
  assert.deepEqual([later.code, later.report.admitted], [0, 0], "--since leaves out what was admitted before it");

  const human = await new Promise<string>((resolve) => execFile(process.execPath, [cli, "reconcile", "invoice"], { env: nats.cliEnv() }, (_e, stdout) => resolve(stdout)));
  assert.match(human, new RegExp(`missing  ${orphan.id} \\(erp ORPHAN\\)`));
  assert.match(human, new RegExp(`doubled  ${twice.envelopeId} \\(erp INV-\\d+\\): 2 terminal outcomes`));
});
