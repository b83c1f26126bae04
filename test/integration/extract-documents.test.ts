import assert from "node:assert/strict";
import { test } from "node:test";
import { deadLetterSchema, openDocumentStore, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { renderDocument, truthCorpus, type CorpusDocument } from "../../shared/documents/corpus/index.js";
import { resultMessageSchema } from "../../shared/runtime/index.js";
import { startSecureNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { waitFor } from "../helpers/wait.js";

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice><ID>&lol3;</ID></Invoice>`;

/** Stores the bytes and publishes a document event naming them, as a mail gateway or upload portal would. */
async function submit(bus: Bus, id: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const store = await openDocumentStore(bus);
  const stored = await store.put(id, bytes);
  const event = { tenant: "acme", region: "eu", source: { system: "mailroom", id }, payload: { kind: "invoice", channel: "email", document: { ...stored, contentType } } };
  await publish(bus, subjects.inbound("document"), event, { msgId: id });
}

const decode = (d: Uint8Array) => JSON.parse(new TextDecoder().decode(d)) as unknown;

test("documents travel by reference: a 20 MB PDF is read and handed to the invoice flow, a malformed PDF and an XML bomb are dead-lettered with the reason", { timeout: 120_000 }, async (t) => {
  const [pdfTruth, ublTruth] = [truthCorpus(21, 24).find((d) => d.vendor.layout.id === "pdf-classic" && d.consistent)!, truthCorpus(21, 24).find((d) => d.vendor.layout.format === "ubl" && d.consistent)!];
  const nats = await startSecureNats(t, ["ingest", "extract"]);
  // Rendered while the agents start (in their own processes).
  const rendering = renderDocument(pdfTruth, { attachmentBytes: 20 * 1024 * 1024 });
  await startAgents(t, nats, ["ingest", "extract"]);
  const bus = await nats.connect("mailroom");
  const big: CorpusDocument = await rendering;
  assert.ok(big.bytes.length > 20 * 1024 * 1024, `the PDF is ${big.bytes.length} bytes`);
  await submit(bus, "big-pdf", big.bytes, "application/pdf");
  await submit(bus, "ubl", (await renderDocument(ublTruth)).bytes, "application/xml");
  await submit(bus, "broken-pdf", new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage"), "application/pdf");
  await submit(bus, "bomb", new TextEncoder().encode(billionLaughs), "application/xml");

  const results = await waitFor("two document results", async () => {
    const msgs = await readStream(bus, streamNames.result, { filterSubject: subjects.result("document") });
    return msgs.length >= 2 && msgs.map((m) => resultMessageSchema.parse(decode(m.data)));
  }, { timeoutMs: 60_000 });
  for (const r of results) {
    const result = r.result as { straightThrough: boolean; fields: { invoiceNumber: string; total: number } };
    assert.equal(result.straightThrough, true);
    assert.ok([pdfTruth.fields.invoiceNumber, ublTruth.fields.invoiceNumber].includes(result.fields.invoiceNumber));
  }
  const letters = await waitFor("two dead letters", async () => {
    const msgs = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("document") });
    return msgs.length >= 2 && msgs.map((m) => deadLetterSchema.parse(decode(m.data)));
  }, { timeoutMs: 60_000 });
  assert.ok(letters.every((l) => l.code === "E_SCHEMA" && l.agent === "extract"), JSON.stringify(letters.map((l) => [l.agent, l.code])));
  assert.ok(letters.some((l) => /malformed PDF/.test(l.reason)), letters.map((l) => l.reason).join(" | "));
  assert.ok(letters.some((l) => /DTD or entities/.test(l.reason)), letters.map((l) => l.reason).join(" | "));

  // The task messages carried references only: no message on the task stream comes near the PDF's size.
  const tasks = await readStream(bus, streamNames.task, { filterSubject: subjects.task("document", "ingested") });
  assert.equal(tasks.length, 4);
  assert.ok(tasks.every((m) => m.data.length < 16 * 1024), `largest task message ${Math.max(...tasks.map((m) => m.data.length))} bytes`);
  // Each straight-through document became one invoice on the invoice flow's inbound subject, read by ingest.
  const invoices = await waitFor("two invoices handed on", async () => {
    const msgs = await readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") });
    return msgs.length >= 2 && msgs;
  });
  assert.equal(invoices.length, 2);
});
