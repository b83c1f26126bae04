import type { Bus } from "../../shared/bus/index.js";
import { MeshError } from "../../shared/errors/index.js";
import { parsePolicyDocument } from "../document/index.js";
import { compilePolicy, type CompiledPolicy } from "../engine/compile.js";
import { signPolicyDocument, verifySignedPolicy, type SignedPolicy } from "../signing/index.js";
import { openPolicyStore, type PolicyStore } from "./policy-store.js";

export { openPolicyStore, POLICY_KEY, type PolicyStore, type PolicyEntry } from "./policy-store.js";

/** Who changed the policy to what: goes into the audit record of every swap and push. */
export interface PolicyChange {
  revision: number;
  previousRevision: number;
  digest: string;
  approver: string;
  signedAt: string;
  kvRevision: number;
}

export interface PolicyRejection {
  kvRevision: number;
  error: Error;
  /** The revision that stays in force. */
  kept: number;
}

export interface PolicyWatchOptions {
  /** Public nkeys ("U...") of the approvers whose signatures are accepted. */
  trustedApprovers: readonly string[];
  /** The policy in force before the watch starts (e.g. the shipped file). */
  initial: CompiledPolicy;
  /** Called after each swap; the runtime swaps its gate and audits the change. */
  onSwap?: (policy: CompiledPolicy, change: PolicyChange) => void;
  /** Called when a stored document is unsigned, tampered, invalid, or not newer; the last good one stays. */
  onReject?: (rejection: PolicyRejection) => void;
}

export interface PolicyWatch {
  /** The policy in force now: one reference, swapped whole, so a decision never sees half a revision. */
  current(): CompiledPolicy;
  stop(): void;
}

/**
 * Accepts a stored entry only when it is signed by a trusted approver, valid, and newer than what is
 * in force; compiles it before swapping, so a document that fails to compile never takes effect.
 */
export function acceptPolicy(value: string, inForce: CompiledPolicy, trustedApprovers: readonly string[]): { policy: CompiledPolicy; signer: string; signedAt: string; digest: string } {
  const verified = verifySignedPolicy(value, trustedApprovers);
  if (verified.document.revision <= inForce.revision)
    throw new MeshError("E_POLICY_INVALID", `policy revision ${verified.document.revision} is not newer than revision ${inForce.revision} in force; push a higher revision to roll back`);
  return { policy: compilePolicy(verified.document), signer: verified.signer, signedAt: verified.signedAt, digest: verified.digest };
}

/**
 * Watches KV `mesh_policy` and swaps in each newly signed revision.
 * @example
 *   const watch = await watchPolicy(bus, { trustedApprovers, initial, onSwap: (p, c) => gate.swap(p) });
 */
export async function watchPolicy(bus: Bus, opts: PolicyWatchOptions): Promise<PolicyWatch> {
  const store = await openPolicyStore(bus);
  let inForce = opts.initial;
  const handle = await store.watch((entry) => {
    try {
      const next = acceptPolicy(entry.value, inForce, opts.trustedApprovers);
      const previousRevision = inForce.revision;
      inForce = next.policy;
      opts.onSwap?.(next.policy, { revision: next.policy.revision, previousRevision, digest: next.digest, approver: next.signer, signedAt: next.signedAt, kvRevision: entry.kvRevision });
    } catch (err) {
      opts.onReject?.({ kvRevision: entry.kvRevision, error: err as Error, kept: inForce.revision });
    }
  });
  return { current: () => inForce, stop: () => handle.stop() };
}

/** The stored policy if it verifies, else undefined (the caller falls back to the shipped file). */
export async function loadStoredPolicy(bus: Bus, trustedApprovers: readonly string[]): Promise<CompiledPolicy | undefined> {
  const entry = await (await openPolicyStore(bus)).get();
  if (!entry) return undefined;
  return compilePolicy(verifySignedPolicy(entry.value, trustedApprovers).document);
}

export interface PushResult extends PolicyChange {
  signed: SignedPolicy;
}

/**
 * `mesh policy push`: parses a document, signs it with the approver's seed, checks that it is newer
 * than the stored revision, and stores it. Agents pick it up through their watch.
 */
export async function pushPolicy(bus: Bus, opts: { text: string; source?: string; approverSeed: string; now?: Date }): Promise<PushResult> {
  const doc = parsePolicyDocument(opts.text, opts.source);
  compilePolicy(doc);
  const store = await openPolicyStore(bus);
  const previousRevision = await storedRevision(store);
  if (previousRevision !== undefined && doc.revision <= previousRevision)
    throw new MeshError("E_POLICY_INVALID", `${opts.source ?? "policy"}: revision ${doc.revision} is not newer than the stored revision ${previousRevision}; bump \`revision\``);
  const signed = signPolicyDocument(doc, opts.approverSeed, opts.now);
  const kvRevision = await store.putRaw(JSON.stringify(signed));
  return { signed, revision: doc.revision, previousRevision: previousRevision ?? 0, digest: signed.digest, approver: signed.signer, signedAt: signed.signedAt, kvRevision };
}

/** The revision currently stored, read without trusting it (a push only needs to know what to exceed). */
async function storedRevision(store: PolicyStore): Promise<number | undefined> {
  const entry = await store.get();
  if (!entry) return undefined;
  try {
    const revision = (JSON.parse(entry.value) as { revision?: unknown }).revision;
    return typeof revision === "number" ? revision : undefined;
  } catch {
    return undefined;
  }
}
