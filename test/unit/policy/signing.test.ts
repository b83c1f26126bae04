import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { defaultPolicyPath, parsePolicyDocument } from "../../../policy/index.js";
import { createSigningKey, PolicySignatureError, signPolicyDocument, verifySignedPolicy } from "../../../policy/signing/index.js";

const doc = parsePolicyDocument(readFileSync(defaultPolicyPath, "utf8"));
const approver = createSigningKey();
const stranger = createSigningKey();

function rejects(input: unknown, problem: string, message: RegExp) {
  assert.throws(() => verifySignedPolicy(input, [approver.publicKey]), (err: unknown) => {
    assert.ok(err instanceof PolicySignatureError);
    assert.equal(err.code, "E_POLICY_INVALID");
    assert.equal(err.problem, problem);
    assert.match(err.message, message);
    return true;
  });
}

test("a document signed by a trusted approver verifies, as an object and as JSON text", () => {
  const signed = signPolicyDocument(doc, approver.seed);
  assert.ok(approver.seed.startsWith("SU") && approver.publicKey.startsWith("U"));
  assert.equal(signed.signer, approver.publicKey);
  assert.deepEqual(verifySignedPolicy(signed, [approver.publicKey]).document, doc);
  assert.deepEqual(verifySignedPolicy(JSON.stringify(signed), [approver.publicKey]).document, doc);
});

test("an unsigned policy is rejected", () => {
  const { signature: _s, signer: _k, ...unsigned } = signPolicyDocument(doc, approver.seed);
  rejects(unsigned, "unsigned", /unsigned/);
});

test("a tampered policy is rejected, even when its digest is recomputed", () => {
  const signed = signPolicyDocument(doc, approver.seed);
  const tampered = structuredClone(signed);
  tampered.document.rules.push({ id: "rogue-all", effect: "permit", mode: "enforce", actions: "*", principals: ["rogue"] });
  rejects(tampered, "tampered", /does not match/);
  const revision = { ...structuredClone(signed), revision: signed.revision + 1 };
  rejects(revision, "tampered", /does not match/);
});

test("a policy signed by a key that is not a trusted approver is rejected", () => {
  rejects(signPolicyDocument(doc, stranger.seed), "untrusted-signer", /not a trusted approver/);
});

test("garbage is rejected as malformed with the field named", () => {
  rejects("not json", "malformed", /not JSON/);
  rejects({ format: "meshwork.policy.signed/v1", revision: 1 }, "malformed", /digest/);
});

test("a validly signed but invalid document is rejected and names the field", () => {
  const broken = { ...doc, rules: [{ ...doc.rules[0]!, effect: "maybe" }] } as unknown as typeof doc;
  rejects(signPolicyDocument(broken, approver.seed), "invalid-document", /rules\.0\.effect/);
});
