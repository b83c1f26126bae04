import assert from "node:assert/strict";
import { test } from "node:test";
import { applyCorrections, createCorrection, createEnvelope, envelopeId, parseEnvelope } from "../../../shared/envelope/index.js";
import { SchemaError } from "../../../shared/errors/index.js";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const event = {
  tenant: "acme",
  region: "eu",
  source: { system: "erp", id: "INV-1" },
  payload: { invoiceNumber: " INV-1 ", poNumber: "PO-1", vendorId: "V-1", amount: 10, currency: "eur" },
};

test("the envelope id derives from the source system and id, so a republished source event is a duplicate", () => {
  const a = createEnvelope("invoice", JSON.stringify(event), { traceparent });
  const b = createEnvelope("invoice", JSON.stringify({ ...event, payload: { ...event.payload, amount: 11 } }), { traceparent });
  assert.equal(a.id, b.id);
  assert.equal(a.id, envelopeId(event.source));
  assert.notEqual(envelopeId({ system: "erp", id: "INV-2" }), a.id);
  assert.notEqual(envelopeId({ system: "erpI", id: "NV-1" }), a.id, "system and id cannot run into each other");
});

test("the content digest changes with the content and not with time or trace", () => {
  const a = createEnvelope("invoice", JSON.stringify(event), { traceparent, now: new Date(0) });
  const later = createEnvelope("invoice", JSON.stringify(event), { traceparent: "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  const changed = createEnvelope("invoice", JSON.stringify({ ...event, payload: { ...event.payload, amount: 12 } }), { traceparent });
  assert.equal(a.digest, later.digest);
  assert.notEqual(a.digest, changed.digest);
});

test("the payload is normalised by the flow's schema", () => {
  const e = createEnvelope("invoice", JSON.stringify(event), { traceparent });
  assert.deepEqual(e.payload, { invoiceNumber: "INV-1", poNumber: "PO-1", vendorId: "V-1", amount: 10, currency: "EUR" });
});

test("an envelope is deeply frozen", () => {
  const e = createEnvelope("invoice", JSON.stringify(event), { traceparent });
  assert.throws(() => {
    (e.payload as { amount: number }).amount = 99;
  }, TypeError);
  assert.throws(() => {
    (e.source as { id: string }).id = "x";
  }, TypeError);
});

test("invalid events fail with a SchemaError naming the field", () => {
  const cases: [string, string, RegExp][] = [
    ["invoice", "{nope", /not JSON/],
    ["invoice", JSON.stringify({ ...event, region: "Europe" }), /^region: /],
    ["invoice", JSON.stringify({ ...event, payload: { ...event.payload, amount: -1 } }), /payload\.amount/],
    ["invoice", JSON.stringify({ ...event, schemaVersion: 9 }), /schemaVersion: flow invoice has no payload schema version 9/],
    ["claims", JSON.stringify(event), /flow: unknown flow "claims"/],
    ["invoice", "x".repeat(2000), /limit is 1000/],
  ];
  for (const [flow, body, message] of cases) {
    assert.throws(() => createEnvelope(flow, body, { traceparent, maxBytes: 1000 }), (err: unknown) => err instanceof SchemaError && message.test(err.message), `${flow} ${body.slice(0, 30)}`);
  }
});

test("an envelope read back with altered content is refused by its digest", () => {
  const e = createEnvelope("invoice", JSON.stringify(event), { traceparent });
  const wire = JSON.stringify(e);
  assert.deepEqual(parseEnvelope(JSON.parse(wire)), e);
  const altered = JSON.parse(wire);
  altered.payload.amount = 1_000_000;
  assert.throws(() => parseEnvelope(altered), /envelope\.digest: does not match/);
});

test("corrections name the envelope and its digest and replay deterministically", () => {
  const e = createEnvelope("invoice", JSON.stringify(event), { traceparent });
  const c1 = createCorrection({ kind: "correction", envelopeId: e.id, envelopeDigest: e.digest, fields: { amount: 12 }, author: "rev-1" });
  const c2 = createCorrection({ kind: "correction", envelopeId: e.id, envelopeDigest: e.digest, fields: { amount: 13, "purchaseOrder.amount": 13 }, author: "rev-2" });
  const replayed = applyCorrections(e.payload, [c1, c2]);
  assert.deepEqual(replayed, { ...(e.payload as object), amount: 13, purchaseOrder: { amount: 13 } });
  assert.deepEqual(applyCorrections(e.payload, [c1, c2]), replayed);
  assert.equal((e.payload as { amount: number }).amount, 10, "the envelope itself is untouched");
  assert.throws(() => createCorrection({ kind: "correction", envelopeId: "nope", envelopeDigest: e.digest, fields: {}, author: "x" }));
});
