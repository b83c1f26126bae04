import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChaosReport } from "../../cli/chaos/run.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { runMesh } from "../helpers/cli.js";
import { startAgents } from "../helpers/mesh.js";
import { startSecureNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

test("mesh chaos poison --target dead-letters each of its hostile inputs once and nothing else: the mesh's own events and letters are neither touched nor counted", { timeout: 150_000 }, async (t) => {
  const nats = await startSecureNats(t, ["ingest", "invoice"]);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  // The mesh's own traffic before the run: three invoices with results, one refused event with its letter.
  const own = invoiceEvents(3, { system: "erp" });
  for (const [i, e] of own.entries()) await publish(bus, subjects.inbound("invoice"), e, { msgId: `own-${i}` });
  await publish(bus, subjects.inbound("invoice"), { ...own[0]!, source: { system: "erp", id: "BAD-1" }, payload: { ...own[0]!.payload, amount: "lots" } }, { msgId: "own-bad" });
  const ownIds = own.map((e) => envelopeId(e.source));
  await waitFor("the mesh's own outcomes", async () => {
    const [done, letters] = [await outcomes(bus, "invoice"), await readStream(bus, streamNames.dlq)];
    return ownIds.every((id) => done.counts.get(id) === 1) && letters.length === 1;
  });

  const run = await runMesh(nats.cliEnv(), "chaos", "poison", "--target", "--events", "30", "--json");
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const report = JSON.parse(run.stdout) as ChaosReport;
  t.diagnostic(`in ${report.in}, out ${report.out}, lost ${report.lost}, doubled ${report.doubled}, DLQ ${report.dlq}`);
  assert.deepEqual({ in: report.in, out: report.out, lost: report.lost, doubled: report.doubled, dlq: report.dlq }, { in: 60, out: 30, lost: 0, doubled: 0, dlq: 30 }, report.findings.join("\n"));

  const letters = (await readStream(bus, streamNames.dlq)).map((m) => deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))));
  assert.equal(letters.length, 1 + 30, "the mesh's one letter and one per hostile input");
  const refusedSeqs = letters.filter((l) => l.stream === streamNames.in).map((l) => l.streamSeq);
  assert.equal(new Set(refusedSeqs).size, letters.length, "each letter refuses a different inbound message");
  assert.deepEqual(letters.filter((l) => l.source?.system?.startsWith("chaos-")), [], "none of the run's valid invoices was dead-lettered");
  const after = await outcomes(bus, "invoice");
  assert.deepEqual(ownIds.map((id) => after.counts.get(id)), [1, 1, 1], "the mesh's own invoices still have exactly one outcome each");
  assert.equal([...after.counts.values()].filter((n) => n !== 1).length, 0, "no outcome was doubled");
});
