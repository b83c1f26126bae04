import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { allowUnauthenticatedFlag, startMesh } from "../../cli/commands/up.js";
import { freePort } from "../../cli/local-nats.js";
import { connectBus, readIdentities } from "../../shared/bus/index.js";
import { publicKeyOfSeed } from "../../policy/signing/index.js";
import { startNats } from "../helpers/nats.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const mode = (path: string) => statSync(path).mode & 0o777;

/** `mesh up` keeps its state under MESH_DIR; each test gets its own, removed afterwards. */
function tempMeshDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-up-"));
  const before = process.env.MESH_DIR;
  process.env.MESH_DIR = dir;
  t.after(() => {
    if (before === undefined) delete process.env.MESH_DIR;
    else process.env.MESH_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test("mesh up pointed at a broker that accepts anonymous clients refuses, naming the override flag", { timeout: 120_000 }, async (t) => {
  const open = await startNats(t);
  const dir = tempMeshDir(t);
  const run = spawnSync(process.execPath, ["--import", "tsx", "cli/index.ts", "up", "--agents", "invoice"], {
    cwd: root,
    env: { ...process.env, NATS_URL: open.url, MESH_DIR: dir },
    encoding: "utf8",
    timeout: 90_000,
  });
  assert.notEqual(run.status, 0, run.stdout);
  assert.match(run.stderr, /accepts anonymous connections/);
  assert.ok(run.stderr.includes(allowUnauthenticatedFlag), run.stderr);
  assert.match(run.stderr, new RegExp(`broker ${open.url} as anonymous`), "it said which broker and as whom");
});

test("with the override, mesh up uses the anonymous broker and its output keeps the warning", { timeout: 120_000 }, async (t) => {
  const open = await startNats(t);
  tempMeshDir(t);
  const lines: string[] = [];
  const mesh = await startMesh({ natsUrl: open.url, allowUnauthenticatedBroker: true, agents: ["invoice"], log: (l) => lines.push(l) });
  t.after(() => mesh.stop());
  assert.ok(lines.some((l) => l.startsWith("WARNING") && l.includes("accepts anonymous connections") && l.includes(allowUnauthenticatedFlag)), lines.join("\n"));
  assert.equal(mesh.startedNats, false);
});

test("mesh up's broker config and operator seed are owner-only while it runs and removed when it stops; agent seeds stay", { timeout: 120_000 }, async (t) => {
  const dir = tempMeshDir(t);
  const mesh = await startMesh({ ownNats: true, natsPort: await freePort(), agents: ["invoice"], log: () => undefined });
  let stopped = false;
  t.after(() => (stopped ? undefined : mesh.stop()));
  const conf = join(dir, "nats", "nats.conf");
  const operatorFile = join(dir, "operator.json");
  const seedsFile = join(dir, "audit-keys.json");
  for (const f of [conf, operatorFile, seedsFile]) assert.equal(mode(f).toString(8), "600", f);
  const text = readFileSync(conf, "utf8");
  assert.ok(!/password|"SU[A-Z2-7]+"/.test(text), "the broker config holds public keys only");
  const seeds = JSON.parse(readFileSync(seedsFile, "utf8")) as Record<string, string>;
  assert.ok(text.includes(publicKeyOfSeed(seeds.invoice!)), "the agent is known to the broker by its public key");

  // The operator file is what the CLI authenticates with; the identities are registered for the verifiers.
  const { seed } = JSON.parse(readFileSync(operatorFile, "utf8")) as { seed: string };
  const operator = await connectBus({ servers: mesh.natsUrl, name: "check", seed, reconnect: false });
  const registered = [...(await readIdentities(operator)).values()].map((i) => `${i.kind}:${i.name}`).sort();
  await operator.close();
  assert.deepEqual(registered, ["agent:invoice", "operator:operator"]);

  await mesh.stop();
  stopped = true;
  assert.equal(existsSync(conf), false, "nats.conf is gone");
  assert.equal(existsSync(operatorFile), false, "the operator seed is gone");
  assert.equal(existsSync(seedsFile), true, "agent seeds stay, so old audit checkpoints remain verifiable");
});
