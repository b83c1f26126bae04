import { z } from "zod";
import { MeshError, describeIssues } from "../../shared/errors/index.js";
import { canonicalJson, sha256Hex } from "../../shared/envelope/canonical.js";
import { validatePolicyDocument, type PolicyDocument } from "../document/index.js";
import { publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "./nkey.js";

export { publicKeyOfSeed, signWithSeed, verifyWithPublicKey, createSigningKey } from "./nkey.js";

export const SIGNED_POLICY_FORMAT = "meshwork.policy.signed/v1";

export type SignatureProblem = "malformed" | "unsigned" | "tampered" | "untrusted-signer" | "invalid-document";

/** A policy that cannot be trusted. `problem` is stable for callers; the message says what to do. */
export class PolicySignatureError extends MeshError {
  override readonly name = "PolicySignatureError";
  constructor(
    readonly problem: SignatureProblem,
    message: string,
  ) {
    super("E_POLICY_INVALID", message, false, { problem });
  }
}

const signedPolicySchema = z.object({
  format: z.literal(SIGNED_POLICY_FORMAT),
  revision: z.number().int().nonnegative(),
  /** sha256 of the canonical JSON of `document`: lets a reader name the content without trusting it. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  document: z.record(z.string(), z.unknown()),
  signer: z.string().optional(),
  signedAt: z.string().optional(),
  signature: z.string().optional(),
});
export type SignedPolicy = {
  format: typeof SIGNED_POLICY_FORMAT;
  revision: number;
  digest: string;
  document: PolicyDocument;
  signer: string;
  signedAt: string;
  signature: string;
};

function signingInput(p: { revision: number; digest: string; document: unknown; signer: string; signedAt: string }): string {
  return canonicalJson({ format: SIGNED_POLICY_FORMAT, revision: p.revision, digest: p.digest, document: p.document, signer: p.signer, signedAt: p.signedAt });
}

/**
 * Signs a validated policy document with an approver's nkey seed ("SU...").
 * @example const signed = signPolicyDocument(parsePolicyDocument(text), process.env.MESH_APPROVER_SEED!);
 */
export function signPolicyDocument(document: PolicyDocument, approverSeed: string, now: Date = new Date()): SignedPolicy {
  const digest = sha256Hex(canonicalJson(document));
  const unsigned = { revision: document.revision, digest, document, signedAt: now.toISOString() };
  const signer = publicKeyOfSeed(approverSeed);
  const { signature } = signWithSeed(approverSeed, signingInput({ ...unsigned, signer }));
  return { format: SIGNED_POLICY_FORMAT, ...unsigned, signer, signature };
}

/**
 * Checks a signed policy (object or JSON text) against the approvers' public keys ("U...") and returns
 * the document. Unsigned, tampered, untrusted or invalid input throws PolicySignatureError.
 */
export function verifySignedPolicy(input: unknown, trustedApprovers: readonly string[]): { document: PolicyDocument; signer: string; signedAt: string; digest: string } {
  let raw = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const text = typeof input === "string" ? input : new TextDecoder().decode(input);
    try {
      raw = JSON.parse(text);
    } catch {
      throw new PolicySignatureError("malformed", "signed policy: not JSON; push it with `mesh policy push`, which signs it");
    }
  }
  const parsed = signedPolicySchema.safeParse(raw);
  if (!parsed.success) throw new PolicySignatureError("malformed", `signed policy: ${describeIssues(parsed.error.issues)}`);
  const p = parsed.data;
  if (!p.signature || !p.signer || !p.signedAt)
    throw new PolicySignatureError("unsigned", `signed policy revision ${p.revision}: unsigned (no signer/signature); an approver must sign it`);
  if (!trustedApprovers.includes(p.signer))
    throw new PolicySignatureError("untrusted-signer", `signed policy revision ${p.revision}: signer ${p.signer} is not a trusted approver`);
  if (!verifyWithPublicKey(p.signer, signingInput({ ...p, signer: p.signer, signedAt: p.signedAt }), p.signature))
    throw new PolicySignatureError("tampered", `signed policy revision ${p.revision}: signature does not match the content (tampered or corrupted)`);
  if (sha256Hex(canonicalJson(p.document)) !== p.digest)
    throw new PolicySignatureError("tampered", `signed policy revision ${p.revision}: digest does not match the document`);
  let document: PolicyDocument;
  try {
    document = validatePolicyDocument(p.document, `signed policy revision ${p.revision}`);
  } catch (err) {
    throw new PolicySignatureError("invalid-document", (err as Error).message);
  }
  if (document.revision !== p.revision)
    throw new PolicySignatureError("tampered", `signed policy: envelope revision ${p.revision} differs from document revision ${document.revision}`);
  return { document, signer: p.signer, signedAt: p.signedAt, digest: p.digest };
}
