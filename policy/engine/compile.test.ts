import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy, defaultPolicyPath, loadPolicyFile } from "../index.js";
import { createSigningKey, signPolicyDocument, verifySignedPolicy } from "../signing/index.js";

test("every decision carries the digest of the signed revision that decided it", () => {
  const shipped = loadPolicyFile(defaultPolicyPath).document;
  const approver = createSigningKey();
  const signed = signPolicyDocument(shipped, approver.seed);
  const verified = verifySignedPolicy(JSON.stringify(signed), [approver.publicKey]);
  const policy = compilePolicy(verified.document);
  assert.equal(policy.digest, signed.digest);
  const allow = policy.decide({ action: "task.complete", principal: { agent: "invoice" }, resource: { subject: "mesh.result.invoice" } });
  const deny = policy.decide({ action: "event.emit", principal: { agent: "rogue" }, resource: { subject: "x" } });
  assert.deepEqual([allow.digest, deny.digest], [signed.digest, signed.digest]);
});

test("two revisions that differ in one rule have different digests", () => {
  const doc = loadPolicyFile(defaultPolicyPath).document;
  const other = structuredClone(doc);
  other.rules = other.rules.slice(1);
  assert.notEqual(compilePolicy(doc).digest, compilePolicy(other).digest);
});
