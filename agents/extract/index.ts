import { defineAgent, extractInvoice, invoiceFieldsOf, scrubValue, type DocumentPayload, type Extraction } from "../../shared/runtime/index.js";
import { invoiceEvent } from "./handoff.js";
import { askModel } from "./model-tier.js";
import { countHit } from "./hit-rate.js";
import { readTemplate, teachTemplate } from "./templates.js";

/**
 * What the result and the review request say about an extraction, redacted: they rest in the streams in clear, while
 * the fields handed to the invoice flow are sealed there at ingest (payee, IBAN).
 */
const summary = (x: Extraction) => scrubValue({ kind: x.kind, vendor: x.vendorKey ?? null, fields: x.fields, confidence: x.confidence, tier: x.tier, unsure: x.unsure, checks: x.checks });

/**
 * Reads an arriving invoice document (by reference, from the document store) into the invoice fields, cheapest
 * tier first; a document whose every field is sure and whose figures agree goes on to the invoice flow, any other
 * goes to a human with the unsure fields named. A reviewer's corrections teach the vendor's template.
 */
export default defineAgent({
  name: "extract",
  version: "1.0.0",
  consumes: { flow: "document", stage: "ingested" },
  concurrency: 4,
  state: true,
  documents: true,
  escalates: true,
  models: true,
  async handle(task, ctx) {
    const { document } = task.payload as DocumentPayload;
    const bytes = await ctx.document(document);
    const cheap = await extractInvoice({ contentType: document.contentType, bytes }, (vendor) => readTemplate(ctx.state, vendor));
    const { x, model } = cheap.decision === "complete" ? { x: cheap } : await askModel(ctx, cheap);
    const fields = x.decision === "complete" ? invoiceFieldsOf(x.fields) : undefined;
    if (!fields) {
      const arithmetic = x.checks.some((c) => c.arithmetic && !c.ok);
      return ctx.escalate({
        code: arithmetic ? "extraction_figures_disagree" : "extraction_unsure",
        reason: [...x.reasons, ...(model?.reason ? [`the large model did not help: ${model.reason}`] : [])].join("; "),
        // The reviewer sees the document's text beside the fields; the text stays within the review stream.
        snapshot: { ...summary(x), ...(model ? { model: scrubValue(model) } : {}), text: scrubValue(x.lines.slice(0, 400)) },
      });
    }
    await ctx.handOff("invoice", invoiceEvent(task, fields));
    if (x.vendorKey) await countHit(ctx.state, x.vendorKey, "straightThrough");
    return ctx.complete({ ...summary(x), ...(model ? { model: scrubValue(model) } : {}), straightThrough: true, handedTo: "invoice" });
  },
  /**
   * A human settled the fields: rejected ends the document; approved or corrected sends the settled fields on,
   * and teaches the vendor's template where each settled value is printed.
   */
  async resume(task, decision, ctx) {
    const reviewer = { id: decision.reviewer.id, decidedAt: decision.decidedAt };
    if (decision.decision === "reject") return ctx.complete({ rejected: true, reasonCode: decision.reasonCode ?? "rejected", reviewer });
    const { document } = task.payload as DocumentPayload;
    const cheap = await extractInvoice({ contentType: document.contentType, bytes: await ctx.document(document) }, (vendor) => readTemplate(ctx.state, vendor));
    // What the reviewer was shown includes the model's answer: asked again, it comes from the journal, not the model.
    const { x } = cheap.decision === "complete" ? { x: cheap } : await askModel(ctx, cheap);
    const settled = invoiceFieldsOf({ ...x.fields, ...(decision.corrections ?? {}) });
    if (!settled) return ctx.fail("E_SCHEMA", `review decision: the settled fields are not a complete invoice (${Object.keys(decision.corrections ?? {}).join(", ") || "no corrections"} given)`);
    if (x.vendorKey && x.lines.length) await teachTemplate(ctx.state, x.vendorKey, x.lines, settled);
    if (x.vendorKey) await countHit(ctx.state, x.vendorKey, "human");
    await ctx.handOff("invoice", invoiceEvent(task, settled));
    return ctx.complete({ fields: scrubValue(settled), corrected: Object.keys(decision.corrections ?? {}), straightThrough: false, handedTo: "invoice", reviewer });
  },
});
