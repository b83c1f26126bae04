import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * What `mesh up` leaves under .mesh/ (or MESH_DIR) for the other `mesh` commands: the broker's data and logs, the
 * operator's identity for a broker it started (removed when it stops), and the agents' identity seeds. Secrets are
 * written readable by the owner only.
 */
export function meshDir(): string {
  return process.env.MESH_DIR || fileURLToPath(new URL("../.mesh/", import.meta.url));
}
const operatorFile = () => join(meshDir(), "operator.json");
const auditKeysFile = () => join(meshDir(), "audit-keys.json");

const operatorSchema = z.object({
  url: z.string().min(1),
  seed: z.string().regex(/^SU[A-Z2-7]+$/, "must be an nkey user seed (SU...)"),
});
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
export function readAuditKeys(): Record<string, string> {
  if (!existsSync(auditKeysFile())) return {};
  return z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(auditKeysFile(), "utf8")));
}

export function writeAuditKeys(keys: Record<string, string>): void {
  writeFileSync(auditKeysFile(), JSON.stringify(keys), { mode: 0o600 });
}
