import { canonicalJson } from "../envelope/canonical.js";
import { categoryFieldOf, type TaskEnvelope } from "../envelope/index.js";
import { PolicyDeniedError } from "../errors/index.js";
import { subjects, type Identity } from "../bus/index.js";
import { publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "../../policy/signing/index.js";
import type { Decision, DecisionRequest } from "../../policy/index.js";
import type { VerifiedDecision } from "./context.js";
import { taskFacts, type ReviewDecision } from "./messages.js";

export type UnsealedDecision = Omit<ReviewDecision, "signer" | "signature">;

type Sealed = { readonly signer: string; readonly signature: string };

/** Signs a review decision or approval with the identity that records it (the review agent's, or the operator's for a replay). */
export function sealDecision<T extends object>(decision: T, seed: string): T & Sealed {
  const signer = publicKeyOfSeed(seed);
  const { signature } = signWithSeed(seed, canonicalJson({ ...decision, signer }));
  return { ...decision, signer, signature };
}

export interface DecisionVerifier {
  /** Registered identities (KV mesh_identities), refreshed when an unknown signer shows up. */
  identity(publicKey: string): Promise<Identity | undefined>;
  decide(req: DecisionRequest): Decision;
}

/**
 * What the resume path may believe about a review decision: it must be signed by a registered identity that
 * policy allows to `review.decide` with the reviewer's roles, and name the very envelope (id and digest) being
 * resumed. Anything else is refused by name, so a message on mesh.review.<flow>.decided that nobody entitled
 * decided cannot approve anything.
 */
export async function verifyReviewDecision(decision: ReviewDecision, task: TaskEnvelope, verifier: DecisionVerifier): Promise<VerifiedDecision> {
  const refuse = (why: string) =>
    new PolicyDeniedError(`review decision on ${decision.envelopeId} is not trusted: ${why}`, ["review-decision-unverified"], 0);
  await verifySigned(decision, task, verifier, refuse, "");
  // Four-eyes: every earlier approver's approval verifies on its own and approved exactly these values.
  const approvers = new Set(decision.decision === "reject" ? [] : [decision.reviewer.id]);
  for (const [i, approval] of (decision.approvals ?? []).entries()) {
    await verifySigned(approval, task, verifier, refuse, `approval ${i + 1} (${approval.reviewer.id}): `);
    if (canonicalJson(approval.corrections ?? {}) !== canonicalJson(decision.corrections ?? {}))
      throw refuse(`approval ${i + 1} (${approval.reviewer.id}) approved other values than the decision`);
    if (decision.decision !== "reject") approvers.add(approval.reviewer.id);
  }
  const field = categoryFieldOf(task.flow);
  const corrected = field ? decision.corrections?.[field] : undefined;
  return { approved: decision.decision !== "reject", approvals: approvers.size, ...(typeof corrected === "string" ? { category: corrected } : {}) };
}

type SignedByReviewer = Sealed & { readonly envelopeId: string; readonly digest: string; readonly reviewer: { readonly id: string; readonly roles: readonly string[] } };

/** Signature of a registered identity, naming this envelope, by an identity policy lets decide with the reviewer's roles. */
async function verifySigned(
  signed: SignedByReviewer,
  task: TaskEnvelope,
  verifier: DecisionVerifier,
  refuse: (why: string) => PolicyDeniedError,
  what: string,
): Promise<void> {
  const { signature, ...body } = signed;
  if (!verifyWithPublicKey(signed.signer, canonicalJson(body), signature)) throw refuse(`${what}its signature does not verify`);
  const identity = await verifier.identity(signed.signer);
  if (!identity) throw refuse(`${what}signer ${signed.signer} is not a registered identity`);
  if (signed.envelopeId !== task.id || signed.digest !== task.digest) throw refuse(`${what}it names another envelope or another version of it`);
  const verdict = verifier.decide({
    action: "review.decide",
    principal: { agent: identity.name, roles: [...signed.reviewer.roles] },
    resource: { subject: subjects.reviewDecided(task.flow), region: task.region },
    context: { task: taskFacts(task) },
  });
  if (verdict.effect !== "allow")
    throw refuse(`${what}${identity.name} may not decide reviews with roles [${signed.reviewer.roles.join(", ")}] (${verdict.message})`);
}
