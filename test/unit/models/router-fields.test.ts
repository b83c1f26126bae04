import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { endpoint, recordingGate, router, standIn, task } from "./fixtures.js";

const schema = z.object({ poNumber: z.string().nullable(), total: z.number().nullable() });
const req = { text: "Invoice 7\nOrder ref: PO-4711\nIBAN DE89370400440532013000\nTotal 119.00", instructions: "The document is an invoice.", schema };
const structured = (body: unknown) => (body as { response_format: { json_schema: { name: string; schema: { properties: Record<string, unknown> } } } }).response_format.json_schema;

test("readFields asks for exactly the schema's fields and returns the answer, with the text redacted when the gate obliges it and the cost booked", async (t) => {
  const s = await standIn(t);
  s.configure({ fields: { poNumber: "PO-4711", total: 119 } });
  const { gate, asked } = recordingGate(() => true, true);
  const { router: r } = router({ endpoints: [endpoint(s)] }, gate, (text) => text.replace(/DE\d{20}/g, "[IBAN]"));
  const res = await r.readFields(req, task("d-1", "eu", "document"));
  assert.deepEqual(res.values, { poNumber: "PO-4711", total: 119 });
  assert.ok(res.costUsd > 0);
  assert.equal(asked.length, 1);
  assert.ok(asked[0]!.spend, "held to the budgets at its worst case");
  const sent = s.requests()[0]!.body;
  assert.deepEqual(Object.keys(structured(sent).schema.properties), ["poNumber", "total"]);
  assert.equal(structured(sent).name, "document_fields");
  assert.doesNotMatch(JSON.stringify(sent), /DE89370400440532013000/);
  assert.match(JSON.stringify(sent), /PO-4711/);
});

test("readFields refused by the gate answers nothing and calls no model", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] }, recordingGate(() => "extract may not call models").gate);
  const res = await r.readFields(req, task("d-2", "eu", "document"));
  assert.equal(res.values, null);
  assert.equal(res.reasonCode, "policy_denied");
  assert.match(res.reason!, /extract may not call models/);
  assert.equal(s.requestCount(), 0);
});

test("an answer outside the schema is no answer (invalid_model_output), not a crash", async (t) => {
  const s = await standIn(t);
  s.configure({ fields: { poNumber: 4711, total: "a lot" } });
  const { router: r } = router({ endpoints: [endpoint(s)] });
  const res = await r.readFields(req, task("d-3", "eu", "document"));
  assert.equal(res.values, null);
  assert.equal(res.reasonCode, "invalid_model_output");
});
