import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("when an agent fails to start, mesh up prints the cause from the agent's log and exits 1", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-up-fail-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Only the agent reads its model endpoints (as it loads its models, before it says ready): mesh up cannot see this.
  const env: NodeJS.ProcessEnv = { ...process.env, MESH_DIR: dir, MODEL_ENDPOINTS: '[{"name":"llm","baseUrl":"not a url"}]' };
  for (const k of ["NATS_URL", "NATS_NKEY_SEED", "NATS_USER", "NATS_PASS"]) delete env[k];
  const failed = await exec(process.execPath, [mesh, "up", "--agents", "triage"], { env, timeout: 100_000 }).then(
    () => assert.fail("mesh up succeeded with a broken MODEL_ENDPOINTS"),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /agent triage exited with code 1 before it was ready/);
  // The cause, from .mesh/logs/triage.log, not only where to look for it.
  assert.match(failed.stderr, new RegExp(`From ${join(dir, "logs", "triage.log")}:\\n[\\s\\S]*MODEL_ENDPOINTS`));
});
