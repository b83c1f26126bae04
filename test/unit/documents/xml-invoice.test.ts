import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SchemaError } from "../../../shared/errors/index.js";
import { renderDocument, truthCorpus } from "../../../shared/documents/corpus/index.js";
import { readXmlInvoice } from "../../../shared/documents/xml-invoice.js";

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<Invoice><ID>&lol2;</ID></Invoice>`;

const xmlDocs = truthCorpus(3, 48).filter((t) => t.vendor.layout.format === "ubl" || t.vendor.layout.format === "cii");

test("UBL 2.1 and CII invoices are read exactly, every field as generated", async () => {
  assert.ok(xmlDocs.some((t) => t.vendor.layout.format === "ubl") && xmlDocs.some((t) => t.vendor.layout.format === "cii"));
  for (const truth of xmlDocs) {
    const doc = await renderDocument(truth);
    const read = readXmlInvoice(new TextDecoder().decode(doc.bytes));
    assert.equal(read.syntax, truth.vendor.layout.format);
    assert.deepEqual(read.fields, truth.fields);
  }
});

test("a billion-laughs XML is refused for its DTD before any entity is expanded", () => {
  assert.throws(() => readXmlInvoice(billionLaughs), (err: unknown) => err instanceof SchemaError && /DTD or entities/.test(err.message));
});

test("XML nested deeper than the limit is refused with the limit named", () => {
  const deep = `<Invoice>${"<a>".repeat(100)}${"</a>".repeat(100)}</Invoice>`;
  assert.throws(() => readXmlInvoice(deep), /nests deeper than 64 levels/);
});

test("an XML that is not an e-invoice, or lacks a field, is refused naming what is missing", () => {
  assert.throws(() => readXmlInvoice("<Order><ID>1</ID></Order>"), /root is Order, not a UBL Invoice/);
  assert.throws(() => readXmlInvoice("<Invoice><ID>1</ID></Invoice>"), /UBL invoice field issueDate/);
});

test("no byte string makes the XML reader fail other than with a SchemaError", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        readXmlInvoice(`<Invoice>${text}</Invoice>`);
      } catch (err) {
        assert.ok(err instanceof SchemaError, String(err));
      }
    }),
  );
});
