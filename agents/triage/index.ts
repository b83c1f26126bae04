import { defineAgent, MeshError, PolicyDeniedError, type AgentContext, type TicketPayload } from "../../shared/runtime/index.js";

/**
 * Support-ticket triage: give each ticket one of the 77 BANKING77 intents. The model router answers from
 * its cache or the small local model when that is confident, asks the LLM when it is not, and hands the
 * ticket to a human when both are unsure. A confident ticket gets a suggested reply drafted by the LLM
 * (checked by policy on the way out) and completes — unless policy says its intent needs a human's approval,
 * in which case it goes to review with the intent and the draft attached.
 */
export default defineAgent({
  name: "triage",
  version: "1.0.0",
  consumes: { flow: "ticket", stage: "ingested" },
  concurrency: 16,
  escalates: true,
  models: true,
  // Its own state bucket (the runtime journals large-model answers in mesh_journal_triage, because models: true).
  state: true,
  async handle(task, ctx) {
    const ticket = task.payload as TicketPayload;
    const intent = await ctx.classify("ticket-intent", ticket.text);
    if (intent.decision === "escalate" || intent.label === null) {
      return ctx.escalate({
        code: intent.reasonCode ?? "low_confidence",
        reason: intent.reason ?? "no model was confident about the intent",
        suggestions: intent.tried,
      });
    }

    const reply = await suggestReply(ctx, ticket.text, intent.label);
    const result = {
      intent: intent.label,
      confidence: intent.confidence,
      tier: intent.tier,
      model: intent.model,
      modelVersion: intent.modelVersion,
      suggestedReply: reply.text,
      ...(reply.note ? { replyNote: reply.note } : {}),
    };
    try {
      // Whether this intent may complete without a human is the policy's call, on the runtime's own label.
      return await ctx.complete(result);
    } catch (err) {
      // Policy, not this agent, knows which intents are high-risk: a completion refused pending a human's
      // approval becomes a review; any other refusal is a real denial and dead-letters.
      if (err instanceof PolicyDeniedError && err.approvalReason)
        return ctx.escalate({
          code: "approval_required",
          reason: `${err.approvalReason}: ${err.message}`,
          suggestions: result,
          ...(err.approvers ? { approvers: err.approvers } : {}),
        });
      throw err;
    }
  },
  /**
   * A human decided: the ticket completes with the reviewer's intent (a correction wins; an approval keeps the
   * model's answer), or ends as rejected. The runtime verified the decision before this runs, and that, not
   * anything here, is what lets a high-risk intent complete. A replay (`mesh replay --publish`) arrives here too,
   * as the operator's signed decision.
   */
  async resume(task, decision, ctx) {
    const reviewer = { id: decision.reviewer.id, decidedAt: decision.decidedAt };
    if (decision.decision === "reject") {
      return ctx.complete({ rejected: true, reasonCode: decision.reasonCode ?? "rejected", reviewer });
    }
    const corrected = decision.corrections?.intent;
    const intent = typeof corrected === "string" ? corrected : (await ctx.classify("ticket-intent", (task.payload as TicketPayload).text)).label;
    if (!intent) return ctx.fail("E_HANDLER", "the review approved a ticket without an intent; correct it with one");
    return ctx.complete({ intent, tier: "human", decision: decision.decision, reviewer });
  },
});

/**
 * The draft is a suggestion, so an LLM outage must not hold up a ticket the small model already settled:
 * a transient failure (breaker open, timeout) leaves the reply empty with a note instead of parking the task.
 */
async function suggestReply(
  ctx: AgentContext,
  text: string,
  intent: string,
): Promise<{ text: string | null; note?: string }> {
  try {
    const draft = await ctx.draft({ text, intent });
    return draft.text === null ? { text: null, note: draft.reason ?? "no draft" } : { text: draft.text };
  } catch (err) {
    if (err instanceof MeshError && err.transient) return { text: null, note: `draft unavailable: ${err.message}` };
    throw err;
  }
}
