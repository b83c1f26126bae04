import assert from "node:assert/strict";
import { test } from "node:test";
import { generateCorpus, renderDocument, truthCorpus } from "../../../shared/documents/corpus/index.js";
import { emptyTemplate, extractInvoice, fieldNames, learnFromReview, sameValue, type VendorTemplate } from "../../../shared/documents/index.js";
import { SchemaError } from "../../../shared/errors/index.js";

const corpus = await generateCorpus(11, 72);

test("the corpus generator gives the same bytes for the same seed", async () => {
  const again = await generateCorpus(11, 72);
  assert.deepEqual(again.map((d) => Buffer.from(d.bytes).toString("base64")), corpus.map((d) => Buffer.from(d.bytes).toString("base64")));
  assert.ok(new Set(corpus.map((d) => d.truth.vendor.layout.id)).size >= 10);
});

test("a document whose total is not net + tax never completes, whichever tier read it", async () => {
  const inconsistent = truthCorpus(5, 400, 0.5).filter((t) => !t.consistent).slice(0, 24);
  for (const truth of inconsistent) {
    const x = await extractInvoice(await renderDocument(truth));
    assert.equal(x.decision, "review", `${truth.vendor.layout.id} ${truth.id}`);
    const figuresRead = x.fields.net !== undefined && x.fields.tax !== undefined && x.fields.total !== undefined;
    if (figuresRead) assert.ok(x.reasons.some((r) => r.startsWith("netPlusTaxIsTotal failed")), x.reasons.join("; "));
  }
});

test("every document that completes on its own has every field right", async () => {
  for (const doc of corpus) {
    const x = await extractInvoice(doc);
    if (x.decision === "complete") for (const f of fieldNames) assert.ok(sameValue(f, x.fields[f], doc.truth.fields[f]), `${doc.truth.vendor.layout.id} ${f}`);
  }
});

test("two reviews of one vendor's unfamiliar layout make a template that reads its next document without a human", async () => {
  const odd = truthCorpus(9, 200).filter((t) => t.vendor.layout.id === "pdf-odd" && t.vendor.id === truthCorpus(9, 200).find((x) => x.vendor.layout.id === "pdf-odd")!.vendor.id && t.consistent);
  const [a, b, next] = await Promise.all(odd.slice(0, 3).map((t) => renderDocument(t)));
  const before = await extractInvoice(next!);
  assert.equal(before.decision, "review");
  assert.ok(before.unsure.includes("invoiceNumber"));
  let template: VendorTemplate | undefined;
  for (const reviewed of [a!, b!]) {
    const x = await extractInvoice(reviewed, () => template);
    template = learnFromReview(template ?? emptyTemplate(x.vendorKey!), x.lines, reviewed.truth.fields);
    if (reviewed === a) assert.equal((await extractInvoice(next!, () => template)).decision, "review", "one review is not yet a template");
  }
  const after = await extractInvoice(next!, (v) => (v === template!.vendor ? template : undefined));
  assert.equal(after.decision, "complete", after.reasons.join("; "));
  assert.equal(after.tier.invoiceNumber, "template");
  for (const f of fieldNames) assert.ok(sameValue(f, after.fields[f], next!.truth.fields[f]), f);
});

test("a PDF handed over as a Node Buffer (as the object store returns a small one) is read like any other", async () => {
  const pdf = corpus.find((d) => d.contentType === "application/pdf" && d.truth.consistent)!;
  const x = await extractInvoice({ contentType: "application/pdf", bytes: Buffer.from(pdf.bytes) });
  assert.equal(x.fields.invoiceNumber !== undefined || x.fields.vendorName !== undefined, true);
  assert.ok(x.lines.length > 5);
});

test("a malformed PDF and an unknown content type are refused with the reason", async () => {
  await assert.rejects(extractInvoice({ contentType: "application/pdf", bytes: new TextEncoder().encode("%PDF-1.7\n garbage") }), (e: unknown) => e instanceof SchemaError && /malformed PDF/.test(e.message));
  await assert.rejects(extractInvoice({ contentType: "image/tiff", bytes: new Uint8Array(4) }), /content type "image\/tiff" is not one of/);
});
