import { z } from "zod";
import type { KnownIdentity } from "../policy/audit-chain/index.js";
import { publicKeyOfSeed } from "../policy/signing/index.js";
import { MeshError, describeIssues } from "../shared/errors/index.js";
import { readAgentSeeds } from "./local-state.js";

const trustEntrySchema = z.string().regex(/^[a-z][a-z0-9-]*=U[A-Z2-7]{55}$/, "must be <name>=<public user nkey U...>, e.g. invoice=UABC...");

/**
 * Identities the verifier trusts beyond KV mesh_identities: `--trust` and MESH_AUDIT_TRUST (comma-separated
 * name=U... pairs), and on a local mesh (no NATS_URL) the keys `mesh up` gave its agents.
 */
export function trustedIdentities(trust: string | undefined, env: NodeJS.ProcessEnv = process.env): Map<string, KnownIdentity> {
  const out = new Map<string, KnownIdentity>();
  if (!env.NATS_URL) for (const [name, seed] of Object.entries(readAgentSeeds())) out.set(publicKeyOfSeed(seed), { name });
  for (const [source, list] of [["MESH_AUDIT_TRUST", env.MESH_AUDIT_TRUST], ["--trust", trust]] as const) {
    const entries = (list ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    entries.forEach((entry, i) => {
      const parsed = trustEntrySchema.safeParse(entry);
      if (!parsed.success) throw new MeshError("E_CONFIG", `${source}[${i}] "${entry}": ${describeIssues(parsed.error.issues)}`);
      const [name, publicKey] = parsed.data.split("=") as [string, string];
      out.set(publicKey, { name });
    });
  }
  return out;
}
