import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { renderDocument, truthCorpus } from "../../shared/documents/corpus/index.js";
import { runMesh } from "../helpers/cli.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

test("mesh document <file> stores an e-mailed invoice by reference and the extract agent completes it; the same file twice is one document", { timeout: 90_000 }, async (t) => {
  const truth = truthCorpus(5, 24).find((d) => d.vendor.layout.id === "text-email" && d.consistent)!;
  const dir = mkdtempSync(join(tmpdir(), "mesh-document-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "invoice.txt");
  writeFileSync(file, (await renderDocument(truth)).bytes);
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "extract"]);
  for (let i = 0; i < 2; i++) {
    const ran = await runMesh(nats.cliEnv(), "document", file);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /bytes stored, document event published/);
  }
  const bus = await nats.connect();
  const [result] = await waitFor("the document's result", async () => {
    const msgs = await readStream(bus, streamNames.result, { filterSubject: subjects.result("document") });
    return msgs.length > 0 && msgs.map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { result: { straightThrough: boolean; fields: { invoiceNumber: string } } });
  });
  assert.equal(result!.result.straightThrough, true);
  assert.equal(result!.result.fields.invoiceNumber, truth.fields.invoiceNumber);
  const audit = await readStream(bus, streamNames.audit, { filterSubject: "mesh.audit.>" });
  assert.ok(audit.some((m) => new TextDecoder().decode(m.data).includes("mesh.document.document")), "the store write is audited");
  assert.equal((await readStream(bus, streamNames.task, { filterSubject: subjects.task("document", "ingested") })).length, 1, "the second submission is the same document");
});
