import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { listAgents, loadAgentDefinition } from "../../../shared/runtime/load-agent.js";

const agentsDir = fileURLToPath(new URL("../../../agents/", import.meta.url));

test("every shipped agent whose handler calls ctx.escalate declares escalates and a resume", async () => {
  const missing: string[] = [];
  for (const name of listAgents()) {
    const source = readFileSync(`${agentsDir}${name}/index.ts`, "utf8");
    if (!/\.escalate\(/.test(source)) continue;
    const def = await loadAgentDefinition(name);
    if (!("escalates" in def) || def.escalates !== true || typeof (def as { resume?: unknown }).resume !== "function") missing.push(name);
  }
  assert.deepEqual(missing, []);
});
