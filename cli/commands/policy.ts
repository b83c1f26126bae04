import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { actions, defaultPolicyPath, loadPolicyFile, type DecisionRequest } from "../../policy/index.js";
import { auditVerify, formatAuditVerification, formatExplain, formatPolicyDiff, formatPolicyPush, policyDiff, pushPolicy } from "../../policy/commands/index.js";
import { createSigningKey, publicKeyOfSeed } from "../../policy/signing/index.js";
import { MeshError, describeIssues } from "../../shared/errors/index.js";
import { connectCli } from "../connect.js";
import { connectOperator } from "../operator.js";
import { readIdentities, subjects } from "../../shared/bus/index.js";
import { trustedIdentities } from "../trusted-identities.js";
import { report } from "../report.js";

const approvers = () => (process.env.MESH_POLICY_APPROVERS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const inForce = () => loadPolicyFile(process.env.POLICY_FILE ?? defaultPolicyPath);

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new MeshError("E_CONFIG", `${what} ${path}: ${(err as Error).message}`);
  }
}

/** `mesh policy keygen --out approver.seed`: an approver key pair; the seed signs, the public key goes into MESH_POLICY_APPROVERS. */
export function policyKeygen(out: string, opts: { json?: boolean } = {}): number {
  const key = createSigningKey();
  writeFileSync(out, `${key.seed}\n`, { mode: 0o600 });
  report(opts, { seedFile: out, publicKey: key.publicKey }, () => `seed written to ${out} (keep it secret)\npublic key: ${key.publicKey}\nadd it to MESH_POLICY_APPROVERS on every agent`);
  return 0;
}

/**
 * `mesh policy push <file> --seed-file <f>`: signs the document and stores it in KV mesh_policy; agents swap within
 * seconds. A policy change is an operator effect (policy.change, audited); the `policy-approver` role is a fact
 * the CLI derives from the seed, never a flag: it holds only when the running agents trust that signer. A push
 * they would not apply is refused with the fix, instead of reported as stored.
 */
export async function policyPush(file: string, seedFile: string | undefined, opts: { json?: boolean } = {}): Promise<number> {
  const seed = seedFile ? readText(seedFile, "seed file").trim() : process.env.MESH_POLICY_SEED;
  if (!seed) throw new MeshError("E_CONFIG", "no approver seed: pass --seed-file <file> (from 'mesh policy keygen') or set MESH_POLICY_SEED");
  const text = readText(file, "policy file");
  const signer = publicKeyOfSeed(seed);
  const operator = await connectOperator("policy");
  try {
    const registered = [...(await readIdentities(operator.bus)).values()].filter((i) => i.kind === "approver").map((i) => i.publicKey);
    const trusted = [...new Set([...approvers(), ...registered])];
    if (!trusted.length) {
      throw new MeshError(
        "E_POLICY_INVALID",
        `no running agent accepts signed policy revisions (none was started with MESH_POLICY_APPROVERS), so revision from ${file} would never apply. Start the mesh with MESH_POLICY_APPROVERS=${signer}, then push again.`,
      );
    }
    if (!trusted.includes(signer)) {
      throw new MeshError("E_POLICY_INVALID", `the agents accept revisions signed by ${trusted.join(", ")}; this seed signs as ${signer}. Use an approver's seed, or add ${signer} to MESH_POLICY_APPROVERS and restart the agents.`);
    }
    const result = await operator.perform({
      action: "policy.change",
      principal: { ...operator.principal, roles: [...(operator.principal.roles ?? []), "policy-approver"] },
      resource: { subject: subjects.policy() },
      facts: {},
      region: operator.region,
      auditDetail: { person: operator.person, approver: signer, source: file },
      run: () => pushPolicy(operator.bus, { text, source: file, approverSeed: seed }),
      describe: (r) => ({ revision: r.revision, previousRevision: r.previousRevision, digest: r.digest }),
    });
    report(opts, result, () => formatPolicyPush(result));
    return 0;
  } finally {
    await operator.close();
  }
}

/** `mesh policy diff <file> [--limit N]`: which recent audited decisions the candidate would change. */
export async function policyDiffCommand(file: string, limit?: number, opts: { json?: boolean } = {}): Promise<number> {
  const bus = await connectCli("policy");
  try {
    const diff = await policyDiff(bus, { candidateText: readText(file, "policy file"), source: file, trustedApprovers: approvers(), fallback: inForce(), ...(limit ? { limit } : {}) });
    report(opts, diff, () => formatPolicyDiff(diff));
    return 0;
  } finally {
    await bus.close();
  }
}

const requestSchema = z.object({
  action: z.enum(actions),
  principal: z.object({ agent: z.string(), roles: z.array(z.string()).optional() }),
  resource: z.record(z.string(), z.unknown()).default({}),
  context: z.record(z.string(), z.unknown()).optional(),
});

/** `mesh policy explain '<request json>' [--file policy.yaml]`: the decision and every rule's part in it. */
export function policyExplain(requestJson: string, file?: string, opts: { json?: boolean } = {}): number {
  let raw: unknown;
  try {
    raw = JSON.parse(requestJson);
  } catch (err) {
    throw new MeshError("E_SCHEMA", `request: not JSON (${(err as Error).message})`);
  }
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) throw new MeshError("E_SCHEMA", `request: ${describeIssues(parsed.error.issues)}`);
  const policy = file ? loadPolicyFile(file) : inForce();
  const explained = policy.explain(parsed.data as DecisionRequest);
  report(opts, explained, () => formatExplain(explained));
  return 0;
}

/**
 * `mesh audit verify [--file copy.jsonl] [--trust name=U...] [--since N]`: names every altered, missing or reordered
 * record, every chain not signed by a known identity under its own name, and (from the stream) any setting or
 * truncation that lost records. Exits 1 on any problem.
 */
export async function auditVerifyCommand(opts: { file?: string; json?: boolean; trust?: string; since?: number } = {}): Promise<number> {
  const verifyOpts = { identities: trustedIdentities(opts.trust), ...(opts.since ? { since: opts.since } : {}) };
  const result = opts.file
    ? await auditVerify({ jsonl: readText(opts.file, "audit copy") }, verifyOpts)
    : await (async () => {
        // The CLI never declares topology on connect, so a reconfigured MESH_AUDIT is checked as it is.
        const bus = await connectCli("audit");
        try {
          return await auditVerify({ bus }, verifyOpts);
        } finally {
          await bus.close();
        }
      })();
  report(opts, result, () => formatAuditVerification(result));
  return result.ok ? 0 : 1;
}
