import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { dataKeysJson } from "../../../policy/pii/data-keys.js";
import { isSealed, openBytes, openField, sealBytes, sealField } from "../../../policy/pii/field-crypto.js";
import { loadAgentConfig, redactedConfig } from "../../../shared/runtime/config.js";

const b64 = () => randomBytes(32).toString("base64");
const [k1, k2] = [b64(), b64()];
const keys = dataKeysJson.parse(JSON.stringify({ eu: { active: "k1", keys: { k1 } } }));
const rotated = dataKeysJson.parse(JSON.stringify({ eu: { active: "k2", keys: { k1, k2 } } }));
const at = { envelopeId: "env_0123456789abcdef0123456789abcdef", path: "text" };

test("a sealed field names its region and key, hides the value, and opens back under the same envelope and path", () => {
  const sealed = sealField(keys, "eu", at, "Maria Kowalczyk, card 4111 1111 1111 1111");
  assert.match(sealed, /^pii:v1:eu:k1:[A-Za-z0-9_-]+$/);
  assert.ok(isSealed(sealed) && !sealed.includes("Maria"));
  assert.equal(openField(keys, sealed, at), "Maria Kowalczyk, card 4111 1111 1111 1111");
  assert.equal(sealField(keys, "eu", at, "same"), sealField(keys, "eu", at, "same"), "deterministic within one field of one envelope");
  assert.notEqual(sealField(keys, "eu", at, "same"), sealField(keys, "eu", { ...at, path: "customerId" }, "same"), "not across fields");
});

test("a sealed field moved to another envelope or field, or altered, does not open", () => {
  const sealed = sealField(keys, "eu", at, "secret");
  assert.throws(() => openField(keys, sealed, { ...at, envelopeId: "env_ffffffffffffffffffffffffffffffff" }), /does not authenticate/);
  assert.throws(() => openField(keys, sealed, { ...at, path: "customerId" }), /does not authenticate/);
  const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
  assert.throws(() => openField(keys, flipped, at), /does not authenticate/);
  assert.throws(() => openField(keys, sealed.replace(":eu:", ":us:"), at), /no data key/);
});

test("after a rotation the active key seals and the retired key still opens what it sealed", () => {
  const old = sealField(keys, "eu", at, "kept from before");
  const fresh = sealField(rotated, "eu", at, "kept from before");
  assert.match(fresh, /^pii:v1:eu:k2:/);
  assert.equal(openField(rotated, old, at), "kept from before");
  assert.throws(() => openField(keys, fresh, at), /no data key k2/);
});

test("sealed bytes open only in the context they were sealed for", () => {
  const body = Buffer.from([0xff, 0xfe, 0x41]);
  const sealed = sealBytes(keys, "eu", "MESH_IN:7", body);
  assert.deepEqual(openBytes(keys, sealed, "MESH_IN:7"), body);
  assert.throws(() => openBytes(keys, sealed, "MESH_IN:8"), /does not authenticate/);
});

test("data keys in config: a bad key names its region and id and never echoes the material; the value is redacted", () => {
  const short = randomBytes(16).toString("base64");
  assert.throws(
    () => loadAgentConfig({ AGENT: "ingest", MESH_DATA_KEYS: JSON.stringify({ eu: { active: "k1", keys: { k1: short } } }) }),
    (err: Error) => /MESH_DATA_KEYS \(dataKeys\)\.eu\.keys\.k1: must be 32 bytes/.test(err.message) && !err.message.includes(short),
  );
  assert.throws(() => loadAgentConfig({ AGENT: "ingest", MESH_DATA_KEYS: JSON.stringify({ eu: { active: "k9", keys: { k1 } } }) }), /eu\.active: active must name one of keys/);
  assert.throws(() => loadAgentConfig({ AGENT: "ingest", MESH_DATA_KEYS: `{"eu": ${k1}` }), (err: Error) => /not JSON/.test(err.message) && !err.message.includes(k1));
  assert.throws(() => loadAgentConfig({ AGENT: "ingest", MESH_DATA_KEYS_FILE: "/nonexistent/keys.json" }), /MESH_DATA_KEYS_FILE \/nonexistent\/keys.json: ENOENT/);
  const config = loadAgentConfig({ AGENT: "ingest", MESH_DATA_KEYS: JSON.stringify({ eu: { active: "k1", keys: { k1 } } }) });
  assert.equal(redactedConfig(config).dataKeys, "[redacted]");
});
