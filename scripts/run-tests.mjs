#!/usr/bin/env node
// Runs every *.test.ts under test/, policy/, shared/, agents/ and cli/ with node's test runner (TypeScript via
// tsx). Extra arguments filter files by substring: `npm test -- integration/invoice`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const filters = process.argv.slice(2);
const files = ["test", "policy", "shared", "agents", "cli"]
  .flatMap((dir) => readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts") && !e.parentPath.includes("node_modules"))
    .map((e) => relative(root, join(e.parentPath, e.name))))
  .filter((f) => !filters.length || filters.some((s) => f.includes(s)))
  .sort();
if (!files.length) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=600000", "--test-force-exit", ...files], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
