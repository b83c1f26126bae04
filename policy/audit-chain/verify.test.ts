import { test } from "node:test";
import assert from "node:assert/strict";
import { createSigningKey } from "../signing/index.js";
import { AuditChain } from "./chain.js";
import { hashRecord, type ChainedRecord } from "./statements.js";
import { verifyAuditChain } from "./verify.js";

const invoiceKey = createSigningKey();
const triageKey = createSigningKey();
const identities = new Map([
  [invoiceKey.publicKey, { name: "invoice" }],
  [triageKey.publicKey, { name: "triage" }],
]);

function records(n: number, opts: { instance?: string; agent?: string; seed?: string; every?: number } = {}): ChainedRecord[] {
  const chain = new AuditChain({ instance: opts.instance ?? "invoice-1", agent: opts.agent ?? "invoice", ...(opts.seed === "" ? {} : { signingSeed: opts.seed ?? invoiceKey.seed }), checkpointEvery: opts.every ?? 100 });
  return Array.from({ length: n }, () => chain.append({ kind: "effect", action: "task.complete", effect: "done" })).flat();
}

const kinds = (v: ReturnType<typeof verifyAuditChain>) => v.problems.map((p) => [p.kind, p.instance]);

test("a chain with no signed opening fails as unsigned, naming its instance", () => {
  const v = verifyAuditChain(records(3, { instance: "invoice-zz", seed: "" }), { identities });
  assert.deepEqual(kinds(v), [["unsigned", "invoice-zz"]]);
  assert.deepEqual(v.unverified, ["invoice-zz"]);
  assert.match(v.problems[0]!.message, /instance invoice-zz: its first record is not a validly signed opening/);
});

test("an opening whose signature does not match (agent name edited, every hash recomputed) is unsigned", () => {
  const forged: Record<string, unknown>[] = records(2, { agent: "triage", seed: triageKey.seed }).map((r) => ({ ...r, agent: "invoice" }));
  forged.forEach((r, i) => {
    if (i > 0) r.prev = forged[i - 1]!.hash;
    r.hash = hashRecord(r);
  });
  assert.deepEqual(kinds(verifyAuditChain(forged, { identities })), [["unsigned", "invoice-1"]]);
});

test("a chain signed by a key no identity registered fails as unknown-identity", () => {
  const stranger = createSigningKey();
  const v = verifyAuditChain(records(3, { seed: stranger.seed }), { identities });
  assert.deepEqual(kinds(v), [["unknown-identity", "invoice-1"]]);
  assert.match(v.problems[0]!.message, new RegExp(`signed by ${stranger.publicKey}, which is not a registered identity`));
});

test("records claiming agent invoice signed with triage's registered key fail as impersonation", () => {
  const v = verifyAuditChain(records(3, { agent: "invoice", seed: triageKey.seed }), { identities });
  assert.deepEqual(kinds(v).map(([k]) => k), ["impersonation", "impersonation"]);
  assert.match(v.problems[0]!.message, /claims agent invoice but is signed by triage's key/);
});

test("records published under another writer's subject fail as impersonation", () => {
  const recs = records(3);
  const subjects = recs.map((_, i) => `mesh.audit.eu.mesh.${i === 2 ? "triage" : "invoice"}`);
  const v = verifyAuditChain(recs, { identities, subjects });
  assert.deepEqual(kinds(v), [["impersonation", "invoice-1"]]);
  assert.match(v.problems[0]!.message, /1 of its record\(s\) say otherwise: the one at position 3 was published as writer triage/);
});

test("a checkpoint signed by another key than the opening's is a bad checkpoint", () => {
  const recs = records(3, { every: 3 });
  const other = records(3, { seed: triageKey.seed, every: 3 });
  const swapped = [...recs.slice(0, 4), { ...other[4]!, head: recs[3]!.hash, headSeq: 4, prev: recs[3]!.hash }];
  swapped[4] = { ...swapped[4]!, hash: hashRecord(swapped[4]!) };
  const v = verifyAuditChain(swapped, { identities });
  assert.deepEqual(v.problems.map((p) => p.kind), ["bad-checkpoint"]);
  assert.match(v.problems[0]!.message, /not by the instance's key/);
});

test("records after the last checkpoint are reported as an unanchored tail, which does not fail verification", () => {
  const v = verifyAuditChain(records(7, { every: 5 }), { identities });
  assert.equal(v.ok, true);
  assert.deepEqual(v.unanchored, [{ instance: "invoice-1", fromSeq: 8, records: 2 }]);
});

test("without known identities nothing verifies: every signed chain is unknown-identity", () => {
  assert.deepEqual(kinds(verifyAuditChain(records(2))), [["unknown-identity", "invoice-1"]]);
});

test("a record with a seq far ahead is one missing-range problem, not one per absent seq", () => {
  const recs: Record<string, unknown>[] = records(2).map((r) => ({ ...r }));
  const far: Record<string, unknown> = { ...recs[2]!, seq: 1e12 };
  far.hash = hashRecord(far);
  const v = verifyAuditChain([...recs, far], { identities });
  const missing = v.problems.filter((p) => p.kind === "missing");
  assert.equal(missing.length, 1);
  assert.match(missing[0]!.message, /records seq 4-999999999999 of invoice-1 are missing/);
});
