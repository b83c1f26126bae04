import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("the demo (npm start) runs every agent, says it uses the LLM stand-in without a key, and reports both flows", { timeout: 240_000 }, async (t) => {
  // As `npm start` runs it: its own broker, each agent under its own nkey; its state in a temp MESH_DIR.
  const dir = mkdtempSync(join(tmpdir(), "mesh-demo-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, MESH_DIR: dir };
  for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "MODEL_ENDPOINTS", "NATS_URL", "NATS_NKEY_SEED", "NATS_USER", "NATS_PASS"]) delete env[k];
  const { stdout, stderr } = await run(process.execPath, [mesh, "demo", "--exit", "--invoices", "30", "--tickets", "20"], { env, timeout: 200_000 });
  assert.match(stderr, /no LLM key configured .* using the local OpenAI-compatible stand-in/);
  assert.match(stdout, /invoice flow: \d+ matched and completed, \d+ escalated to a human, 1 dead-lettered/);
  const tickets = /ticket flow: (\d+) triaged automatically .* (\d+) sent to review/.exec(stdout);
  assert.ok(tickets, stdout);
  assert.equal(Number(tickets[1]) + Number(tickets[2]), 20);
  const invoices = /invoice flow: (\d+) matched and completed, (\d+) escalated/.exec(stdout)!;
  assert.equal(Number(invoices[1]) + Number(invoices[2]), 30);
});
