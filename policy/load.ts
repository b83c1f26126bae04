import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MeshError } from "../shared/errors/index.js";
import { parsePolicyDocument } from "./document/index.js";
import { compilePolicy, type CompiledPolicy } from "./engine/compile.js";

/** The mesh's shipped policy document. */
export const defaultPolicyPath: string = fileURLToPath(new URL("./documents/mesh-policy.yaml", import.meta.url));

/** Reads, validates and compiles a policy file; any failure is `E_POLICY_INVALID` naming the file. */
export function loadPolicyFile(path: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MeshError("E_POLICY_INVALID", `${path}: cannot read policy file: ${(err as Error).message}`, false, { source: path });
  }
  return compilePolicy(parsePolicyDocument(text, path));
}
