import { defineAgent, type InvoicePayload } from "../../shared/runtime/index.js";
import { correctedInvoice } from "./corrections.js";
import { matchInvoice } from "./match.js";

/** Matches each invoice to its purchase order; a match completes, any mismatch goes to a human with the reasons. */
export default defineAgent({
  name: "invoice",
  version: "1.1.0",
  consumes: { flow: "invoice", stage: "ingested" },
  concurrency: 32,
  escalates: true,
  async handle(task, ctx) {
    const invoice = task.payload as InvoicePayload;
    const match = matchInvoice(invoice);
    if (!match.matched) {
      return ctx.escalate({
        code: match.mismatches[0]!.code,
        reason: match.mismatches.map((m) => m.reason).join("; "),
        snapshot: { mismatches: match.mismatches },
      });
    }
    return ctx.complete({ matched: true, poNumber: match.poNumber, difference: match.difference });
  },
  /**
   * A human decided the mismatch, and every decision ends the invoice with one result: accepted as it is (with
   * the reviewer's reason), matched again with the reviewer's corrections (the result says whether it now
   * matches), or rejected with the reviewer's reason code.
   */
  async resume(task, decision, ctx) {
    const reviewer = { id: decision.reviewer.id, decidedAt: decision.decidedAt };
    if (decision.decision === "reject") return ctx.complete({ rejected: true, reasonCode: decision.reasonCode ?? "rejected", reviewer });
    const invoice = task.payload as InvoicePayload;
    if (decision.decision === "approve") {
      const match = matchInvoice(invoice);
      const mismatches = match.matched ? [] : match.mismatches.map((m) => m.code);
      return ctx.complete({ accepted: true, matched: match.matched, mismatches, reason: decision.comment ?? null, reviewer });
    }
    const applied = correctedInvoice(invoice, decision.corrections);
    if ("error" in applied) return ctx.fail("E_SCHEMA", applied.error);
    const match = matchInvoice(applied.invoice);
    return ctx.complete({
      corrected: applied.corrected,
      matched: match.matched,
      ...(match.matched ? { poNumber: match.poNumber, difference: match.difference } : { mismatches: match.mismatches.map((m) => m.code), accepted: true }),
      reviewer,
    });
  },
});
