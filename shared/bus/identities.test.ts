import { test } from "node:test";
import assert from "node:assert/strict";
import { startNats } from "../../test/helpers/nats.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { readIdentities, registerIdentity } from "./identities.js";

test("every registered identity is read back, not only the first", async (t) => {
  const bus = await (await startNats(t)).connect("operator");
  const names = ["invoice", "triage", "review", "operator"];
  const keys = names.map(() => createSigningKey().publicKey);
  for (const [i, name] of names.entries()) await registerIdentity(bus, { publicKey: keys[i]!, name, kind: name === "operator" ? "operator" : "agent" });
  const read = await readIdentities(bus);
  assert.deepEqual(keys.map((k) => read.get(k)?.name), names);
});
