import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromSeed } from "nkeys.js";
import { decodeUserPublicKey, decodeUserSeed, encodeUserPublicKey, encodeUserSeed } from "./nkey-codec.js";
import { publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "./nkey.js";

const raw32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

test("any 32 raw bytes round-trip through the seed and public key text forms", () => {
  fc.assert(
    fc.property(raw32, (raw) => {
      assert.deepEqual(decodeUserSeed(encodeUserSeed(raw)), raw);
      assert.deepEqual(decodeUserPublicKey(encodeUserPublicKey(raw)), raw);
    }),
  );
});

test("for any seed and any text, the native signature equals nkeys.js's and verifies only for that text", () => {
  fc.assert(
    fc.property(raw32, fc.string(), fc.string(), (raw, text, other) => {
      const seed = encodeUserSeed(raw);
      const kp = fromSeed(new TextEncoder().encode(seed));
      assert.equal(publicKeyOfSeed(seed), kp.getPublicKey());
      const { signature } = signWithSeed(seed, text);
      assert.equal(signature, Buffer.from(kp.sign(new TextEncoder().encode(text))).toString("base64url"));
      assert.equal(verifyWithPublicKey(kp.getPublicKey(), text, signature), true);
      if (other !== text) assert.equal(verifyWithPublicKey(kp.getPublicKey(), other, signature), false);
    }),
    { numRuns: 200 },
  );
});

test("any single-character change to a public key is caught (checksum) rather than verifying against another key", () => {
  fc.assert(
    fc.property(raw32, fc.nat(), fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), (raw, at, c) => {
      const key = encodeUserPublicKey(raw);
      const i = 1 + (at % (key.length - 1));
      fc.pre(key[i] !== c);
      const changed = key.slice(0, i) + c + key.slice(i + 1);
      assert.throws(() => decodeUserPublicKey(changed));
    }),
  );
});
