import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain, hashRecord, verifyAuditChain, type ChainedRecord } from "../../../policy/audit-chain/index.js";
import { createSigningKey } from "../../../policy/signing/index.js";

const key = createSigningKey();
const identities = new Map([[key.publicKey, { name: "invoice" }]]);

function chainOf(n: number, instance = "invoice-1", checkpointEvery = 10): ChainedRecord[] {
  const chain = new AuditChain({ instance, agent: "invoice", signingSeed: key.seed, checkpointEvery });
  const out: ChainedRecord[] = [];
  for (let i = 0; i < n; i++) out.push(...chain.append({ kind: "decision", action: "event.emit", effect: "allow", taskId: `t-${i}` }));
  return out;
}

const kinds = (v: ReturnType<typeof verifyAuditChain>) => v.problems.map((p) => [p.kind, p.position]);

test("an intact chain with a signed opening and signed checkpoints verifies", () => {
  const records = chainOf(50);
  assert.equal(records.length, 56, "the opening, and a checkpoint after every 10 records");
  const v = verifyAuditChain(records, { identities });
  assert.deepEqual(v.problems, []);
  assert.equal(v.ok, true);
  assert.equal(v.checkpoints, 5);
  assert.deepEqual(v.unanchored, []);
});

test("one record edited and one dropped: verify names both positions", () => {
  const copy = chainOf(30).map((r) => ({ ...r }));
  copy[6] = { ...copy[6]!, effect: "deny" };
  const dropped = copy.splice(19, 1)[0]!;
  const v = verifyAuditChain(copy, { identities });
  assert.equal(v.ok, false);
  assert.deepEqual(kinds(v), [["altered", 7], ["missing", 20]]);
  assert.equal(v.problems[1]!.seq, dropped.seq);
  assert.match(v.problems[0]!.message, /position 7 \(seq 7 of invoice-1\) was altered/);
  assert.match(v.problems[1]!.message, new RegExp(`seq ${dropped.seq} of invoice-1 is missing \\(at position 20\\)`));
});

test("a reordered record is named by its position", () => {
  const copy = chainOf(8, "x", 100);
  const moved = copy.splice(2, 1)[0]!;
  copy.splice(6, 0, moved);
  const v = verifyAuditChain(copy, { identities });
  assert.deepEqual(kinds(v), [["reordered", 7]]);
  assert.match(v.problems[0]!.message, /seq 3 of x\) is out of order/);
});

test("rewriting a record and recomputing every later hash is caught by the next signed checkpoint", () => {
  const copy = chainOf(20).map((r) => ({ ...r })) as Record<string, unknown>[];
  copy[3] = { ...copy[3], effect: "deny" };
  for (let i = 3; i < copy.length; i++) {
    if (i > 3) copy[i] = { ...copy[i], prev: copy[i - 1]!.hash };
    copy[i] = { ...copy[i], hash: hashRecord(copy[i]!) };
  }
  const v = verifyAuditChain(copy, { identities });
  assert.equal(v.ok, false);
  assert.deepEqual(kinds(v)[0], ["bad-checkpoint", 12]);
  assert.match(v.problems[0]!.message, /rewritten/);
});

test("interleaved instances are verified separately, duplicates and garbage are named", () => {
  const a = chainOf(5, "a", 100);
  const b = chainOf(5, "b", 100);
  const mixed: unknown[] = a.flatMap((r, i) => [r, b[i]!]);
  assert.equal(verifyAuditChain(mixed, { identities }).ok, true);
  mixed.push(a[2], "not a record");
  assert.deepEqual(kinds(verifyAuditChain(mixed, { identities })), [["duplicate", 13], ["malformed", 14]]);
});

test("a copy that starts mid-chain is missing its beginning unless an explicit start allows it; a checkpoint then anchors it", () => {
  const tail = chainOf(25, "a", 10).slice(4);
  const v = verifyAuditChain(tail, { identities });
  assert.deepEqual(kinds(v), [["missing", 1]]);
  assert.match(v.problems[0]!.message, /records seq 1-4 of a are missing/);
  const allowed = verifyAuditChain(tail, { identities, allowTruncatedStart: true });
  assert.equal(allowed.ok, true, JSON.stringify(allowed.problems));
});

test("a resumed chain continues the sequence and the links", () => {
  const first = chainOf(3, "r", 100);
  const last = first[first.length - 1]!;
  const more = new AuditChain({ instance: "r", agent: "invoice", signingSeed: key.seed, resume: { seq: last.seq, hash: last.hash } }).append({ kind: "effect" });
  const v = verifyAuditChain([...first, ...more], { identities });
  assert.equal(v.ok, true, JSON.stringify(v.problems));
  assert.equal(more.length, 1, "a resumed chain does not open again");
});
