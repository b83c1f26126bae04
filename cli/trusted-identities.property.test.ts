import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeUserPublicKey } from "../policy/signing/nkey-codec.js";
import { trustedIdentities } from "./trusted-identities.js";

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeUserPublicKey);

test("any list of name=U... pairs parses into exactly those identities", () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(name, publicKey), { selector: ([, k]) => k, maxLength: 6 }), (pairs) => {
      const parsed = trustedIdentities(pairs.map(([n, k]) => `${n}=${k}`).join(" , "), { NATS_URL: "nats://elsewhere" });
      assert.deepEqual([...parsed].map(([k, v]) => [v.name, k]), pairs);
    }),
  );
});

test("a malformed entry is refused with its source and index named", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(name, publicKey), { maxLength: 3 }), fc.string().filter((s) => !s.includes(",") && s.trim() !== "" && !/^[a-z][a-z0-9-]*=U[A-Z2-7]{55}$/.test(s.trim())), (good, bad) => {
      const list = [...good.map(([n, k]) => `${n}=${k}`), bad].join(",");
      assert.throws(() => trustedIdentities(list, { NATS_URL: "x" }), new RegExp(`^.*--trust\\[${good.length}\\]`));
    }),
  );
});
