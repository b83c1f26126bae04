import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dirname, "../../..");
const config = join(root, ".dependency-cruiser.cjs");
const depcruise = join(root, "node_modules/.bin/depcruise");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs dependency-cruiser with the repository's rules over `dirs` of `cwd`; resolves to the violations found. */
function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(depcruise, ["--config", config, "--output-type", "json", ...dirs], { cwd, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      // It exits non-zero when it finds violations; the JSON report is still complete.
      try {
        resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
      } catch {
        reject(err ?? new Error(`dependency-cruiser printed no report: ${stderr}`));
      }
    });
  });
}

/** A small tree in the repository's layout, each file importing what its comment says. */
function plantedTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "layer-rules-"));
  const files: Record<string, string> = {
    "shared/bus/index.ts": 'export { connect } from "nats";\n', // allowed: the bus is the nats layer
    "shared/models/index.ts": "export const tier = 1;\n",
    "shared/runtime/index.ts": 'export { connect } from "../bus/index.js";\n',
    "agents/other/helper.ts": "export const helper = 1;\n",
    "agents/planted/index.ts": [
      'import { connect } from "nats";', // agent-no-client-libraries, only-bus-imports-nats
      'import { tier } from "../../shared/models/index.js";', // agent-imports-only-runtime
      'import { helper } from "../other/helper.js";', // agent-imports-only-runtime: another agent's files
      'import "openai";', // agent-no-client-libraries
      'import type { BaseMessage } from "@langchain/core/messages";', // agent-no-client-libraries, only-models-imports-langchain
      'import { connect as viaRuntime } from "../../shared/runtime/index.js";', // allowed
      "export default [connect, tier, helper, viaRuntime];",
      "",
    ].join("\n"),
    "cli/planted.ts": 'export { helper } from "../agents/other/helper.js";\n', // cli-not-agent-internals
    "shared/bus/raw-bus.ts": "export const rawBus = 1;\n",
    "cli/planted-raw.ts": 'export { rawBus } from "../shared/bus/raw-bus.js";\n', // bus-handles-stay-in-bus
    "policy/planted.ts": 'export { helper } from "../cli/planted.js";\n', // shared-and-policy-not-agents-or-cli
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", dependencies: { nats: "*" } }));
  copyFileSync(join(root, "tsconfig.json"), join(dir, "tsconfig.json"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

// Both cruises start at once: the repository's takes most of the time.
const repository = cruise(root, ["agents", "shared", "policy", "cli", "scripts", "test"]);
const plantedDir = plantedTree();
const planted = cruise(plantedDir, ["agents", "shared", "policy", "cli"]).finally(() => rmSync(plantedDir, { recursive: true, force: true }));

test("the code keeps the layer table of ARCHITECTURE.md (dependency-cruiser, known exceptions listed in its config)", async () => {
  assert.deepEqual((await repository).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`), []);
});

test("the layer rules refuse planted violations: an agent importing nats, a model SDK, shared/models or another agent; the CLI an agent's internals or the bus's client handles; policy the CLI", async () => {
  const found = (await planted).map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+)\/.*$/, "$1")}`).sort();
  assert.deepEqual(found, [
    "agent-imports-only-runtime: agents/planted/index.ts → agents/other/helper.ts",
    "agent-imports-only-runtime: agents/planted/index.ts → shared/models/index.ts",
    "agent-no-client-libraries: agents/planted/index.ts → @langchain/core",
    "agent-no-client-libraries: agents/planted/index.ts → nats",
    "agent-no-client-libraries: agents/planted/index.ts → openai",
    "bus-handles-stay-in-bus: cli/planted-raw.ts → shared/bus/raw-bus.ts",
    "cli-not-agent-internals: cli/planted.ts → agents/other/helper.ts",
    "only-bus-imports-nats: agents/planted/index.ts → nats",
    "only-models-imports-langchain: agents/planted/index.ts → @langchain/core",
    "shared-and-policy-not-agents-or-cli: policy/planted.ts → cli/planted.ts",
  ]);
});
