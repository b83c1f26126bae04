import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parsePolicyDocument } from "../../policy/index.js";
import { kustomize } from "../unit/deploy/kustomize.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

test("mesh new agent writes a working agent whose generated test passes against a real broker, with its grants and deploy entries", { timeout: 240_000 }, async (t) => {
  // A copy of the checkout (under node_modules, so its imports resolve as the original's do): the scaffold edits the
  // policy document and deploy files, which other tests read at the same time.
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  const copy = mkdtempSync(join(root, "node_modules", ".cache", "mesh-new-agent-"));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  for (const part of ["agents", "shared", "policy", "cli", "deploy", "scripts", "test/helpers", "package.json", "tsconfig.json"]) cpSync(join(root, part), join(copy, part), { recursive: true });
  const mesh = (...args: string[]) => exec(process.execPath, ["--import", "tsx", "cli/index.ts", ...args], { cwd: copy });

  const { stdout } = await mesh("new", "agent", "tally", "--flow", "invoice");
  for (const file of ["agents/tally/index.ts", "agents/tally/README.md", "test/integration/agent-tally.test.ts", "deploy/k8s/agents/tally/kustomization.yaml"]) {
    assert.ok(existsSync(join(copy, file)), `${file} written`);
    assert.match(stdout, new RegExp(file.replaceAll(".", "\\.")));
  }
  const policy = parsePolicyDocument(readFileSync(join(copy, "policy/documents/mesh-policy.yaml"), "utf8"));
  assert.ok("tally" in policy.agents, "the policy document names the agent");
  assert.ok(policy.rules.some((r) => r.id === "tally-emit" && r.principals.includes("tally")), "its grant is a rule of its own");
  assert.match(readFileSync(join(copy, "deploy/k8s/kustomization.yaml"), "utf8"), /\n {2}- agents\/tally\n/);
  const rendered = kustomize(join(copy, "deploy/k8s"));
  const seed = rendered.find((d) => d.kind === "Deployment" && d.metadata.name === "meshwork-tally")?.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "MESH_IDENTITY_SEED");
  assert.equal(seed?.valueFrom.secretKeyRef.name, "meshwork-identity-tally", "it reads its own nkey seed");
  const scaler = rendered.find((d) => d.kind === "ScaledObject" && d.metadata.name === "meshwork-tally");
  assert.deepEqual([scaler?.spec.scaleTargetRef.name, scaler?.spec.triggers[0].metadata.stream, scaler?.spec.triggers[0].metadata.consumer], ["meshwork-tally", "MESH_TASK", "tally"], "it scales on its own consumer's lag");
  assert.match(readFileSync(join(copy, "deploy/compose.yaml"), "utf8"), /\n {2}tally:\n {4}<<: \*agent\n {4}environment: \{ <<: \*agent-env, AGENT: tally \}/);
  assert.match(readFileSync(join(copy, "deploy/prometheus/prometheus.yml"), "utf8"), /- targets: \["tally:9464"\]\n\s+labels: \{ agent: tally \}/);

  // Its own test run, not a child of this one: without NODE_TEST_CONTEXT it reports as `npm test` would.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const generated = await exec(process.execPath, ["--import", "tsx", "--test", "--test-force-exit", "test/integration/agent-tally.test.ts"], { cwd: copy, env });
  assert.match(generated.stdout, /^# pass 1$/m);
  assert.match(generated.stdout, /^# fail 0$/m);

  // A second time, the name is taken: refused, nothing changed.
  await assert.rejects(mesh("new", "agent", "tally"), (err: { code: number; stderr: string }) => err.code === 1 && /agents\/tally already exists/.test(err.stderr));
  await assert.rejects(mesh("new", "agent", "x2", "--flow", "claims"), (err: { code: number; stderr: string }) => err.code === 2 && /--flow takes invoice or ticket/.test(err.stderr));
});
