import { canonicalJson } from "../envelope/canonical.js";
import { categoryFieldOf, type TaskEnvelope } from "../envelope/index.js";
import { PolicyDeniedError } from "../errors/index.js";
import { subjects, type Identity } from "../bus/index.js";
import { publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "../../policy/signing/index.js";
import type { Decision, DecisionRequest } from "../../policy/index.js";
import type { VerifiedDecision } from "./context.js";
import { taskFacts, type ReviewDecision } from "./messages.js";

export type UnsealedDecision = Omit<ReviewDecision, "signer" | "signature">;

/** Signs a review decision with the identity that records it (the review agent's, or the operator's for a replay). */
export function sealDecision(decision: UnsealedDecision, seed: string): ReviewDecision {
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
  const { signature, ...body } = decision;
  if (!verifyWithPublicKey(decision.signer, canonicalJson(body), signature)) throw refuse("its signature does not verify");
  const identity = await verifier.identity(decision.signer);
  if (!identity) throw refuse(`signer ${decision.signer} is not a registered identity`);
  if (decision.envelopeId !== task.id || decision.digest !== task.digest) throw refuse("it names another envelope or another version of it");
  const verdict = verifier.decide({
    action: "review.decide",
    principal: { agent: identity.name, roles: decision.reviewer.roles },
    resource: { subject: subjects.reviewDecided(task.flow), region: task.region },
    context: { task: taskFacts(task) },
  });
  if (verdict.effect !== "allow") throw refuse(`${identity.name} may not decide reviews with roles [${decision.reviewer.roles.join(", ")}] (${verdict.message})`);
  const field = categoryFieldOf(task.flow);
  const corrected = field ? decision.corrections?.[field] : undefined;
  return { approved: decision.decision !== "reject", ...(typeof corrected === "string" ? { category: corrected } : {}) };
}
