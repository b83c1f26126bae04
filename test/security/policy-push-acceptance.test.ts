import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultPolicyPath } from "../../policy/index.js";
import { openPolicyStore } from "../../policy/distribution/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { registerIdentity } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("policy push refuses, with the fix, a revision no running agent would apply, and stores nothing", { timeout: 60_000 }, async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const approver = createSigningKey();
  const seedFile = join(nats.dir, "approver.seed");
  writeFileSync(seedFile, approver.seed);
  const candidate = join(nats.dir, "policy-2.yaml");
  writeFileSync(candidate, readFileSync(defaultPolicyPath, "utf8").replace(/^revision: 1$/m, "revision: 2"));
  const push = () => run(process.execPath, [mesh, "policy", "push", candidate, "--seed-file", seedFile], { env: { ...nats.cliEnv(), MESH_POLICY_APPROVERS: "" } });

  // No agent was started with MESH_POLICY_APPROVERS: none would ever apply a pushed revision.
  await assert.rejects(push(), (err: { stderr: string; code: number }) => err.code === 1 && /no running agent accepts signed policy revisions/.test(err.stderr) && err.stderr.includes(`MESH_POLICY_APPROVERS=${approver.publicKey}`));
  // The agents trust another approver: this seed's revision would be rejected by every one of them.
  const other = createSigningKey();
  await registerIdentity(bus, { publicKey: other.publicKey, name: "approver", kind: "approver" });
  await assert.rejects(push(), (err: { stderr: string }) => err.stderr.includes(`the agents accept revisions signed by ${other.publicKey}`));
  assert.equal(await (await openPolicyStore(bus)).get(), null, "nothing was stored");

  // Once the agents trust this approver, the same push goes through.
  await registerIdentity(bus, { publicKey: approver.publicKey, name: "approver", kind: "approver" });
  const pushed = await push();
  assert.match(pushed.stdout, /→ 2 stored in KV/);
  const third = join(nats.dir, "policy-3.yaml");
  writeFileSync(third, readFileSync(candidate, "utf8").replace(/^revision: 2$/m, "revision: 3"));
  const asJson = await run(process.execPath, [mesh, "policy", "push", third, "--seed-file", seedFile, "--json"], { env: { ...nats.cliEnv(), MESH_POLICY_APPROVERS: "" } });
  const result = JSON.parse(asJson.stdout) as { revision: number; previousRevision: number; approver: string; digest: string };
  assert.deepEqual([result.previousRevision, result.revision, result.approver], [2, 3, approver.publicKey], "--json: the push as one JSON document");
  assert.match(result.digest, /^[0-9a-f]{64}$/);
});
