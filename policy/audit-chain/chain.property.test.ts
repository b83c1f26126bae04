import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createSigningKey } from "../signing/index.js";
import { AuditChain } from "./chain.js";
import type { ChainedRecord } from "./statements.js";
import { verifyAuditChain } from "./verify.js";

const key = createSigningKey();
const identities = new Map([[key.publicKey, { name: "invoice" }]]);

const entry = fc.record({
  kind: fc.constantFrom("decision", "effect", "policy"),
  action: fc.constantFrom("event.emit", "task.complete", "model.invoke"),
  note: fc.string(),
  amount: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
  tags: fc.array(fc.string(), { maxLength: 3 }),
});

function chainOf(entries: readonly Record<string, unknown>[], every: number): ChainedRecord[] {
  const chain = new AuditChain({ instance: "invoice-1", agent: "invoice", signingSeed: key.seed, checkpointEvery: every });
  return entries.flatMap((e) => chain.append(e));
}

test("any sequence of entries chains into records that verify, whatever the checkpoint interval", () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (entries, every) => {
      const records = JSON.parse(JSON.stringify(chainOf(entries, every))) as unknown[];
      const v = verifyAuditChain(records, { identities });
      assert.deepEqual(v.problems, []);
    }),
    { numRuns: 100 },
  );
});

test("changing any field of any record (recomputing nothing) is always reported", () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 15 }), fc.nat(), fc.nat(), fc.jsonValue(), (entries, at, field, value) => {
      const records = JSON.parse(JSON.stringify(chainOf(entries, 4))) as Record<string, unknown>[];
      const target = records[at % records.length]!;
      const keys = Object.keys(target);
      const name = keys[field % keys.length]!;
      fc.pre(JSON.stringify(target[name]) !== JSON.stringify(value));
      target[name] = value;
      assert.equal(verifyAuditChain(records, { identities }).ok, false, `changed ${name} of record ${at % records.length}`);
    }),
    { numRuns: 300 },
  );
});

test("any JSON given to the verifier is judged without throwing, and what is not a chained record is named malformed", () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), (values) => {
      const v = verifyAuditChain(values, { identities });
      const chained = values.filter((x) => typeof x === "object" && x !== null && !Array.isArray(x) && typeof (x as { instance?: unknown }).instance === "string");
      assert.ok(v.problems.filter((p) => p.kind === "malformed").length >= values.length - chained.length);
      assert.equal(v.ok, values.length === 0);
    }),
  );
});
