import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * What `mesh up` leaves under .mesh/ for the other `mesh` commands: the broker's data and logs, the operator's
 * credentials for a broker it started, and the agents' audit checkpoint keys (kept across runs, so checkpoints
 * already in the stream stay verifiable). Secrets are written readable by the owner only.
 */
export const meshDir = fileURLToPath(new URL("../.mesh/", import.meta.url));
const operatorFile = join(meshDir, "operator.json");
const auditKeysFile = join(meshDir, "audit-keys.json");

const operatorSchema = z.object({ url: z.string(), user: z.string(), password: z.string(), seed: z.string().optional() });
export type LocalOperator = z.infer<typeof operatorSchema>;

export function readLocalOperator(): LocalOperator | undefined {
  if (!existsSync(operatorFile)) return undefined;
  const parsed = operatorSchema.safeParse(JSON.parse(readFileSync(operatorFile, "utf8")));
  return parsed.success ? parsed.data : undefined;
}

export function writeLocalOperator(operator: LocalOperator): void {
  writeFileSync(operatorFile, JSON.stringify(operator), { mode: 0o600 });
}

export function removeLocalOperator(): void {
  rmSync(operatorFile, { force: true });
}

/** Agent name → nkey seed that signs its audit chain (its opening and checkpoints). */
export function readAuditKeys(): Record<string, string> {
  if (!existsSync(auditKeysFile)) return {};
  return z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(auditKeysFile, "utf8")));
}

export function writeAuditKeys(keys: Record<string, string>): void {
  writeFileSync(auditKeysFile, JSON.stringify(keys), { mode: 0o600 });
}
