import { test } from "node:test";
import assert from "node:assert/strict";
import { createUser, fromPublic, fromSeed } from "nkeys.js";
import { createSigningKey, publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "./nkey.js";

const enc = new TextEncoder();

test("native signatures are byte-identical to nkeys.js signatures, so old signatures still verify", () => {
  const kp = createUser();
  const seed = new TextDecoder().decode(kp.getSeed());
  for (const text of ["", "checkpoint", '{"head":"00","headSeq":1,"instance":"invoice-1"}', "ünïcødé ✓"]) {
    const old = Buffer.from(kp.sign(enc.encode(text))).toString("base64url");
    const { signature, publicKey } = signWithSeed(seed, text);
    assert.equal(signature, old, `same bytes for ${JSON.stringify(text)}`);
    assert.equal(publicKey, kp.getPublicKey());
    assert.equal(verifyWithPublicKey(kp.getPublicKey(), text, old), true, "an nkeys.js signature verifies natively");
  }
});

test("a key created natively is a valid nkey that nkeys.js accepts and whose signatures it verifies", () => {
  const { seed, publicKey } = createSigningKey();
  assert.match(seed, /^SU[A-Z2-7]{56}$/);
  assert.match(publicKey, /^U[A-Z2-7]{55}$/);
  assert.equal(fromSeed(enc.encode(seed)).getPublicKey(), publicKey);
  assert.equal(publicKeyOfSeed(seed), publicKey);
  const { signature } = signWithSeed(seed, "hello");
  assert.equal(fromPublic(publicKey).verify(enc.encode("hello"), Buffer.from(signature, "base64url")), true);
});

test("verification refuses another key, altered data, a truncated signature and a key with a bad checksum", () => {
  const a = createSigningKey();
  const b = createSigningKey();
  const { signature } = signWithSeed(a.seed, "data");
  assert.equal(verifyWithPublicKey(a.publicKey, "data", signature), true);
  assert.equal(verifyWithPublicKey(b.publicKey, "data", signature), false);
  assert.equal(verifyWithPublicKey(a.publicKey, "datA", signature), false);
  assert.equal(verifyWithPublicKey(a.publicKey, "data", signature.slice(0, -4)), false);
  const flipped = a.publicKey.slice(0, 10) + (a.publicKey[10] === "A" ? "B" : "A") + a.publicKey.slice(11);
  assert.equal(verifyWithPublicKey(flipped, "data", signature), false);
  assert.equal(verifyWithPublicKey("not a key", "data", signature), false);
});

test("a seed that is not a user seed is refused with a message that says what an nkey seed looks like", () => {
  assert.throws(() => publicKeyOfSeed("UABC"), /starts with S/);
  assert.throws(() => signWithSeed(createSigningKey().seed.slice(0, -2) + "AA", "x"), /checksum|length/);
});
