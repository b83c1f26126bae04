import { test } from "node:test";
import assert from "node:assert/strict";
import { createSigningKey, verifyWithPublicKey } from "../signing/index.js";
import { AuditChain } from "./chain.js";
import { GENESIS, checkpointInput, hashRecord, openingInput } from "./statements.js";

const key = createSigningKey();

test("the first append opens the chain with a record signed over instance, agent, signer and time", () => {
  const chain = new AuditChain({ instance: "invoice-1", agent: "invoice", signingSeed: key.seed });
  const [opening, first] = chain.append({ kind: "effect", action: "task.complete" }, "2026-01-01T00:00:00.000Z");
  assert.deepEqual([opening!.seq, opening!.kind, opening!.prev, opening!.agent, opening!.signer], [1, "open", GENESIS, "invoice", key.publicKey]);
  assert.equal(verifyWithPublicKey(key.publicKey, openingInput({ instance: "invoice-1", agent: "invoice", signer: key.publicKey, at: "2026-01-01T00:00:00.000Z" }), opening!.signature as string), true);
  assert.deepEqual([first!.seq, first!.prev, first!.agent], [2, opening!.hash, "invoice"]);
  assert.equal(hashRecord(first!), first!.hash);
});

test("a checkpoint follows every N records and signs the head it follows; pending counts what it would anchor", () => {
  const chain = new AuditChain({ instance: "i", agent: "triage", signingSeed: key.seed, checkpointEvery: 3 });
  const out = [0, 1, 2].flatMap(() => chain.append({ kind: "effect" }));
  assert.deepEqual(out.map((r) => r.kind), ["open", "effect", "effect", "effect", "checkpoint"]);
  const cp = out[4]!;
  assert.deepEqual([cp.headSeq, cp.head], [4, out[3]!.hash]);
  assert.equal(verifyWithPublicKey(key.publicKey, checkpointInput("i", 4, out[3]!.hash), cp.signature as string), true);
  assert.equal(chain.pending, 0);
  chain.append({ kind: "effect" });
  assert.equal(chain.pending, 1);
});

test("an entry cannot set the chain's own fields or claim to be an opening or a checkpoint", () => {
  const chain = new AuditChain({ instance: "i", agent: "triage", signingSeed: key.seed });
  const [, rec] = chain.append({ kind: "effect", agent: "invoice", instance: "other", seq: 99, prev: "x", hash: "y" });
  assert.deepEqual([rec!.agent, rec!.instance, rec!.seq], ["triage", "i", 2]);
  assert.throws(() => chain.append({ kind: "checkpoint", headSeq: 1 }), /may not be of kind "checkpoint"/);
  assert.throws(() => chain.append({ kind: "open" }), /may not be of kind "open"/);
});

test("without a signing seed the chain writes no opening and no checkpoint (and will not verify)", () => {
  const chain = new AuditChain({ instance: "i", agent: "triage", checkpointEvery: 1 });
  assert.deepEqual(chain.append({ kind: "effect" }).map((r) => r.kind), ["effect"]);
  assert.equal(chain.signed, false);
  assert.throws(() => chain.checkpoint(), /no signingSeed/);
});
