import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultPolicyPath } from "../../policy/index.js";
import { readAuditRecords } from "../../policy/commands/audit-verify.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { registerIdentity, streamNames } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

interface Record {
  agent: string;
  action: string;
  effect: string;
  outcome?: string;
  subject?: string;
  reasons?: string[];
  detail?: { person?: string; command?: string };
}

test("a mesh command that acts is decided by the policy as the operator and recorded in the operator's own verified chain; a refused one changes nothing", { timeout: 90_000 }, async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const operator = createSigningKey();
  await registerIdentity(bus, { publicKey: operator.publicKey, name: "operator", kind: "operator" });
  const env = { ...nats.cliEnv(), MESH_IDENTITY_SEED: operator.seed, MESH_OPERATOR_ID: "dana" };
  const events = join(nats.dir, "events.jsonl");
  writeFileSync(events, ["one", "two", "three"].map((id) => JSON.stringify({ tenant: "acme", region: "eu", source: { system: "cli", id }, payload: {} })).join("\n"));
  const inbound = async () => (await bus.jsm.streams.info(streamNames.in)).state.messages;
  const operatorRecords = async () => (await readAuditRecords(bus)).map((r) => r as Record).filter((r) => r.agent === "operator");

  await run(process.execPath, [mesh, "publish", "invoice", events], { env });
  assert.equal(await inbound(), 3);
  const published = (await operatorRecords()).filter((r) => r.action === "event.emit");
  assert.equal(published.length, 3);
  for (const r of published) {
    assert.deepEqual([r.effect, r.outcome, r.subject, r.reasons, r.detail?.person, r.detail?.command], ["allow", "done", "mesh.in.invoice", ["operator-publish"], "dana", "publish"]);
  }

  // The same command under a policy without the operator's grant: refused by the policy, nothing published.
  const strict = join(nats.dir, "no-operator-grants.yaml");
  writeFileSync(strict, readFileSync(defaultPolicyPath, "utf8").replace(/  - id: operator-publish\n(    .*\n)+/, ""));
  await assert.rejects(run(process.execPath, [mesh, "publish", "invoice", events], { env: { ...env, POLICY_FILE: strict } }), (err: { stderr: string }) => /default-deny/.test(err.stderr));
  assert.equal(await inbound(), 3, "the refused publish stored nothing");
  const refused = (await operatorRecords()).filter((r) => r.outcome === "refused");
  assert.equal(refused.length, 3, "each refused line is recorded");
  assert.deepEqual(new Set(refused.map((r) => r.reasons?.join(","))), new Set(["default-deny"]));

  // Both runs' chains open with the operator's registered key and verify.
  const verified = await run(process.execPath, [mesh, "audit", "verify", "--json"], { env });
  const result = JSON.parse(verified.stdout) as { ok: boolean; instances: number; problems: unknown[] };
  assert.equal(result.ok, true, JSON.stringify(result.problems));
  assert.equal(result.instances, 2);
});
