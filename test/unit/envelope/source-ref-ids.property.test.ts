import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { createEnvelope, envelopeId, type TaskEnvelope } from "../../../shared/envelope/index.js";
import { SchemaError } from "../../../shared/errors/index.js";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const payload = { invoiceNumber: "INV-1", poNumber: "PO-1", vendorId: "V-1", amount: 10, currency: "EUR" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Strings as a hostile sender writes them: any code point, lone surrogates of both halves mixed in often. */
const hostile = fc
  .array(fc.oneof(fc.string({ unit: "binary", maxLength: 4 }), fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "\ufffd", "\u0000", " ")), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(""));
const system = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/);

const eventBody = (source: { system: string; id: string }) => Buffer.from(JSON.stringify({ tenant: "acme", region: "eu", source, payload }));

/** The envelope, or the refusal's message (always E_SCHEMA). */
function ingest(body: Uint8Array): TaskEnvelope | string {
  try {
    return createEnvelope("invoice", body, { traceparent });
  } catch (err) {
    assert.ok(err instanceof SchemaError, `refused with ${(err as Error).name}`);
    return err.message;
  }
}

const exactId = (system: string, id: Uint8Array) =>
  `env_${createHash("sha256").update(Buffer.concat([Buffer.from(system), Buffer.from([0]), id])).digest("hex").slice(0, 32)}`;

test("distinct source refs never share an envelope id: a hostile source id is refused naming source.id, or hashed exactly", () => {
  fc.assert(
    fc.property(fc.tuple(system, hostile), fc.tuple(system, hostile), ([sa, ia], [sb, ib]) => {
      fc.pre(sa !== sb || ia !== ib);
      const [a, b] = [ingest(eventBody({ system: sa, id: ia })), ingest(eventBody({ system: sb, id: ib }))];
      for (const [e, id] of [[a, ia], [b, ib]] as const) {
        const exact = id.isWellFormed() && id.length >= 1 && id.length <= 256;
        if (typeof e === "string") assert.ok(!exact && /^source\.id: /.test(e), `refused ${JSON.stringify(id)}: ${e}`);
        else assert.ok(exact && e.source.id === id, "admitted only when well-formed, and unchanged");
      }
      if (typeof a !== "string" && typeof b !== "string") assert.notEqual(a.id, b.id);
    }),
    { numRuns: 2000 },
  );
});

test("a source id sent as raw bytes is admitted only when it is valid UTF-8, and its envelope id hashes exactly those bytes", () => {
  // Bytes that cannot end the JSON string early: no quote, backslash or control character.
  const idBytes = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => b.map((x) => (x === 0x22 || x === 0x5c || x < 0x20 ? 0x41 : x)));
  fc.assert(
    fc.property(idBytes, idBytes, (a, b) => {
      fc.pre(!Buffer.from(a).equals(Buffer.from(b)));
      const body = (id: Uint8Array) =>
        Buffer.concat([Buffer.from(`{"tenant":"acme","region":"eu","source":{"system":"erp","id":"`), id, Buffer.from(`"},"payload":${JSON.stringify(payload)}}`)]);
      const ids = [a, b].map((id) => {
        const e = ingest(body(id));
        let valid = true;
        try {
          utf8.decode(id);
        } catch {
          valid = false;
        }
        if (typeof e === "string") {
          assert.ok(!valid, `valid UTF-8 refused: ${e}`);
          assert.match(e, /^source\.id: .*not valid UTF-8/);
          return undefined;
        }
        assert.ok(valid, "invalid UTF-8 admitted");
        assert.equal(e.id, exactId("erp", id));
        assert.equal(e.id, envelopeId(e.source));
        return e.id;
      });
      if (ids[0] && ids[1]) assert.notEqual(ids[0], ids[1]);
    }),
    { numRuns: 2000 },
  );
});

test("a lone surrogate in a payload string that feeds the digest is refused, naming the payload field", () => {
  fc.assert(
    fc.property(fc.constantFrom("invoiceNumber", "poNumber", "vendorId"), fc.constantFrom("\ud800", "\udbff", "\udc00"), fc.string({ maxLength: 8 }), (field, lone, around) => {
      const body = Buffer.from(JSON.stringify({ tenant: "acme", region: "eu", source: { system: "erp", id: "INV-1" }, payload: { ...payload, [field]: `x${around}${lone}${around}` } }));
      const e = ingest(body);
      assert.equal(typeof e, "string");
      assert.match(e as string, new RegExp(`^payload\\.${field}: is not exactly what was sent`));
    }),
  );
});
