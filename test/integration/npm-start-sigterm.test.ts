import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { commandLine, descendants, stillRunning } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Starts the demo the way `npm start` does, waits until its mesh is up, signals the npm process, and returns every
 * process npm had under it then, with the output.
 */
async function npmStartThenSignal(t: TestContext, signal: NodeJS.Signals): Promise<{ started: number[]; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-npm-start-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, MESH_DIR: dir };
  for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "MODEL_ENDPOINTS", "NATS_URL", "NATS_NKEY_SEED", "NATS_USER", "NATS_PASS"]) delete env[k];
  // The setup step (prestart) is npm test's own pretest here; --ignore-scripts leaves it out, not the start script.
  const npm = spawn("npm", ["start", "--ignore-scripts", "--", "--invoices", "2", "--tickets", "2"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  npm.stdout.on("data", (d: Buffer) => (output += d.toString()));
  npm.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const npmExited = new Promise<void>((resolve) => npm.once("exit", () => resolve()));
  let started: number[] = [];
  t.after(() => {
    // Only if the claim failed: do not leave this test's processes for the next one.
    for (const pid of stillRunning(started)) process.kill(pid, "SIGKILL");
  });
  await waitFor("the demo's mesh to be up", async () => /mesh is up on nats:/.test(output), { timeoutMs: 180_000, describe: () => output.slice(-3000) });
  started = descendants(npm.pid!);
  const agents = started.filter((pid) => /agent\.js|runtime\/main\.ts/.test(commandLine(pid)));
  assert.ok(agents.length >= 5, `every agent runs under npm start: ${started.map(commandLine).join("\n")}`);
  assert.ok(started.some((pid) => commandLine(pid).includes("nats-server")), "the demo's own nats-server runs under npm start");
  process.kill(npm.pid!, signal);
  await npmExited;
  return { started, output: () => output };
}

async function nothingLeft(started: readonly number[]): Promise<void> {
  await waitFor("every process npm start started to end", async () => stillRunning(started).length === 0, {
    timeoutMs: 60_000,
    describe: () => stillRunning(started).map((pid) => `${pid} ${commandLine(pid)}`).join("\n"),
  });
}

test("SIGTERM to the npm start process stops the demo's broker and every agent: nothing it started is left", { timeout: 240_000 }, async (t) => {
  const { started, output } = await npmStartThenSignal(t, "SIGTERM");
  await nothingLeft(started);
  assert.match(output(), /demo: SIGTERM, stopping/, "the CLI says why it stopped");
});

test("SIGKILL to the npm start process (nothing passed on) still stops everything it started: the CLI notices its parent is gone", { timeout: 240_000 }, async (t) => {
  const { started, output } = await npmStartThenSignal(t, "SIGKILL");
  await nothingLeft(started);
  assert.match(output(), /demo: parent process \d+ is gone, stopping/);
});
