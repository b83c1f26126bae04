import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MeshError } from "../errors/index.js";
import type { AgentDefinition } from "./define-agent.js";

const agentsDir = fileURLToPath(new URL("../../agents/", import.meta.url));

export function listAgents(): string[] {
  return readdirSync(agentsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${agentsDir}${d.name}/index.ts`))
    .map((d) => d.name)
    .sort();
}

/** Imports agents/<name>/index.ts and returns its default export (a defineAgent result). */
export async function loadAgentDefinition(name: string): Promise<AgentDefinition> {
  const known = listAgents();
  if (!known.includes(name)) throw new MeshError("E_CONFIG", `no agent named "${name}"; agents here: ${known.join(", ")}`);
  // A relative pattern, so the build bundles every agent (one chunk each) and tsx resolves it from source alike.
  const mod = (await import(`../../agents/${name}/index.ts`)) as { default?: AgentDefinition };
  if (!mod.default) throw new MeshError("E_CONFIG", `agents/${name}/index.ts has no default export; export default defineAgent({...})`);
  return mod.default;
}
