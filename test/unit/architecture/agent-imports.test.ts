import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Every import specifier in a TS/JS source: static, dynamic and re-exports. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const p of patterns) for (const m of source.matchAll(p)) specs.push(m[1]!);
  return specs;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Client libraries that bypass policy; only shared/bus and shared/models may import them. */
const forbidden = /^(nats|@nats-io\/.*|@langchain\/.*|openai|langchain)(\/.*)?$/;

export function violations(dir: string): string[] {
  return sourceFiles(dir).flatMap((file) =>
    importsOf(readFileSync(file, "utf8"))
      .filter((spec) => forbidden.test(spec))
      .map((spec) => `${relative(root, file)} imports ${spec}`),
  );
}

test("no file under agents/ imports nats or @langchain/* (agents reach effects only through shared/runtime)", () => {
  assert.deepEqual(violations(join(root, "agents")), []);
});

test("the import check catches every form of import", () => {
  const src = [
    `import { connect } from "nats";`,
    `import type { X } from '@langchain/core/messages';`,
    `export * from "@langchain/openai";`,
    `const m = await import("nats");`,
    `import "openai";`,
    `import { defineAgent } from "../../shared/runtime/index.js";`,
  ].join("\n");
  assert.deepEqual(importsOf(src).filter((s) => forbidden.test(s)).sort(), ["@langchain/core/messages", "@langchain/openai", "nats", "nats", "openai"]);
});
