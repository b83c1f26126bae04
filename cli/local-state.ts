import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { dataKeysJson, type DataKeys } from "../policy/pii/data-keys.js";
import { MeshError, describeIssues } from "../shared/errors/index.js";

/**
 * What `mesh up` leaves under .mesh/ (or MESH_DIR) for the other `mesh` commands: the broker's data and logs, the
 * operator's identity for a broker it started (removed when it stops), and the agents' identity seeds. Secrets are
 * written readable by the owner only.
 */
export function meshDir(): string {
  return process.env.MESH_DIR || fileURLToPath(new URL("../.mesh/", import.meta.url));
}
const operatorFile = () => join(meshDir(), "operator.json");
// The file name predates the seeds doubling as broker identities; kept so existing .mesh/ folders still verify.
const agentSeedsFile = () => join(meshDir(), "audit-keys.json");

const operatorSchema = z.object({
  url: z.string().min(1),
  seed: z.string().regex(/^SU[A-Z2-7]+$/, "must be an nkey user seed (SU...)"),
});
/** Data keys that seal personal fields, made by `mesh up` when none are configured (MESH_DATA_KEYS / _FILE). */
export const localDataKeysFile = () => join(meshDir(), "data-keys.json");
export type LocalOperator = z.infer<typeof operatorSchema>;

export function localOperatorPath(): string {
  return operatorFile();
}

export function readLocalOperator(): LocalOperator | undefined {
  if (!existsSync(operatorFile())) return undefined;
  const parsed = operatorSchema.safeParse(JSON.parse(readFileSync(operatorFile(), "utf8")));
  return parsed.success ? parsed.data : undefined;
}

export function writeLocalOperator(operator: LocalOperator): void {
  writeFileSync(operatorFile(), JSON.stringify(operator), { mode: 0o600 });
}

export function removeLocalOperator(): void {
  rmSync(operatorFile(), { force: true });
}

/**
 * Agent name → its identity seed (broker nkey, audit checkpoint and review decision signatures). Kept on purpose
 * when the mesh stops, unlike the operator file and nats.conf: audit checkpoints already in the stream were signed
 * with these keys and must stay verifiable (`mesh audit verify`) across runs.
 */
export function readAgentSeeds(): Record<string, string> {
  if (!existsSync(agentSeedsFile())) return {};
  return z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(agentSeedsFile(), "utf8")));
}

export function writeAgentSeeds(keys: Record<string, string>): void {
  writeFileSync(agentSeedsFile(), JSON.stringify(keys), { mode: 0o600 });
}

/**
 * The local data key file, made once with one key for the region (kept across runs: envelopes already in the
 * streams stay readable). Written readable by the owner only.
 */
export function ensureLocalDataKeys(region: string): string {
  if (!existsSync(localDataKeysFile())) {
    const keys = { [region]: { active: "k1", keys: { k1: randomBytes(32).toString("base64") } } };
    writeFileSync(localDataKeysFile(), JSON.stringify(keys), { mode: 0o600, flag: "wx" });
  }
  return localDataKeysFile();
}

/** Data keys for the CLI (opening sealed dead letters): MESH_DATA_KEYS, MESH_DATA_KEYS_FILE, or the local file. */
export function cliDataKeys(env: NodeJS.ProcessEnv = process.env): DataKeys {
  const [name, text] = env.MESH_DATA_KEYS
    ? ["MESH_DATA_KEYS", env.MESH_DATA_KEYS]
    : env.MESH_DATA_KEYS_FILE || existsSync(localDataKeysFile())
      ? ["MESH_DATA_KEYS_FILE", readFileSync(env.MESH_DATA_KEYS_FILE || localDataKeysFile(), "utf8")]
      : [undefined, undefined];
  if (!name || text === undefined) throw new MeshError("E_CONFIG", "no data keys: set MESH_DATA_KEYS or MESH_DATA_KEYS_FILE");
  const parsed = dataKeysJson.safeParse(text);
  if (!parsed.success) throw new MeshError("E_CONFIG", `${name}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
