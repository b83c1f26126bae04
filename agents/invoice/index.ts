import { defineAgent, type InvoicePayload } from "../../shared/runtime/index.js";
import { matchInvoice } from "./match.js";

/** Matches each invoice to its purchase order; a match completes, any mismatch goes to a human with the reasons. */
export default defineAgent({
  name: "invoice",
  version: "1.0.0",
  consumes: { flow: "invoice", stage: "ingested" },
  concurrency: 32,
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
});
