import { test } from "node:test";
import assert from "node:assert/strict";
import { AuditChain, hashRecord, verifyAuditChain, type ChainedRecord } from "../../../policy/audit-chain/index.js";
import { createSigningKey } from "../../../policy/signing/index.js";

const key = createSigningKey();

function chainOf(n: number, instance = "invoice-1", checkpointEvery = 10): ChainedRecord[] {
  const chain = new AuditChain({ instance, signingSeed: key.seed, checkpointEvery });
  const out: ChainedRecord[] = [];
  for (let i = 0; i < n; i++) out.push(...chain.append({ kind: "decision", action: "event.emit", effect: "allow", taskId: `t-${i}` }));
  return out;
}

const kinds = (v: ReturnType<typeof verifyAuditChain>) => v.problems.map((p) => [p.kind, p.position]);

test("an intact chain with signed checkpoints verifies", () => {
  const records = chainOf(50);
  assert.equal(records.length, 55, "a checkpoint after every 10 records");
  const v = verifyAuditChain(records, { trustedSigners: [key.publicKey] });
  assert.deepEqual(v.problems, []);
  assert.equal(v.ok, true);
  assert.equal(v.checkpoints, 5);
});

test("one record edited and one dropped: verify names both positions", () => {
  const copy = chainOf(30).map((r) => ({ ...r }));
  copy[6] = { ...copy[6]!, effect: "deny" };
  const dropped = copy.splice(19, 1)[0]!;
  const v = verifyAuditChain(copy);
  assert.equal(v.ok, false);
  assert.deepEqual(kinds(v), [["altered", 7], ["missing", 20]]);
  assert.equal(v.problems[1]!.seq, dropped.seq);
  assert.match(v.problems[0]!.message, /position 7 \(seq 7 of invoice-1\) was altered/);
  assert.match(v.problems[1]!.message, new RegExp(`seq ${dropped.seq} of invoice-1 is missing \\(at position 20\\)`));
});

test("a reordered record is named by its position", () => {
  const copy = chainOf(8, "x", 100);
  const moved = copy.splice(1, 1)[0]!;
  copy.splice(5, 0, moved);
  const v = verifyAuditChain(copy);
  assert.deepEqual(kinds(v), [["reordered", 6]]);
  assert.match(v.problems[0]!.message, /seq 2 of x\) is out of order/);
});

test("rewriting a record and recomputing every later hash is caught by the next signed checkpoint", () => {
  const copy = chainOf(20).map((r) => ({ ...r })) as Record<string, unknown>[];
  copy[3] = { ...copy[3], effect: "deny" };
  for (let i = 3; i < copy.length; i++) {
    if (i > 3) copy[i] = { ...copy[i], prev: copy[i - 1]!.hash };
    copy[i] = { ...copy[i], hash: hashRecord(copy[i]!) };
  }
  const v = verifyAuditChain(copy);
  assert.equal(v.ok, false);
  assert.deepEqual(kinds(v)[0], ["bad-checkpoint", 11]);
  assert.match(v.problems[0]!.message, /rewritten/);
});

test("a checkpoint signed by an untrusted key is reported", () => {
  const v = verifyAuditChain(chainOf(10), { trustedSigners: [createSigningKey().publicKey] });
  assert.deepEqual(kinds(v), [["bad-checkpoint", 11]]);
});

test("interleaved instances are verified separately, duplicates and garbage are named", () => {
  const a = chainOf(5, "a", 100);
  const b = chainOf(5, "b", 100);
  const mixed: unknown[] = a.flatMap((r, i) => [r, b[i]!]);
  assert.equal(verifyAuditChain(mixed).ok, true);
  mixed.push(a[2], "not a record");
  assert.deepEqual(kinds(verifyAuditChain(mixed)), [["duplicate", 11], ["malformed", 12]]);
});

test("a copy that starts mid-chain is missing its beginning unless truncation is allowed", () => {
  const tail = chainOf(10, "a", 100).slice(4);
  assert.deepEqual(kinds(verifyAuditChain(tail)).map(([k]) => k), ["missing", "missing", "missing", "missing"]);
  assert.equal(verifyAuditChain(tail, { allowTruncatedStart: true }).ok, true);
});

test("no PII reaches an audit record in clear", () => {
  const chain = new AuditChain({ instance: "triage-1" });
  const [rec] = chain.append({ kind: "effect", detail: { note: "customer jane.doe@example.com card 4111 1111 1111 1111" } });
  const text = JSON.stringify(rec);
  assert.ok(!text.includes("jane.doe@example.com") && !text.includes("4111 1111"), text);
  assert.match(text, /\[EMAIL\].*\[CREDIT_CARD\]/);
  assert.equal(verifyAuditChain([rec]).ok, true);
});

test("a resumed chain continues the sequence and the links", () => {
  const first = chainOf(3, "r", 100);
  const last = first[first.length - 1]!;
  const more = new AuditChain({ instance: "r", resume: { seq: last.seq, hash: last.hash } }).append({ kind: "effect" });
  assert.equal(verifyAuditChain([...first, ...more]).ok, true);
});
