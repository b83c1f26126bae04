import { createEnvelope, type ReviewRequest } from "../../../shared/runtime/index.js";

let n = 0;

/** A review request as the triage agent sends one (classification with the tiers it tried). */
export function ticketRequest(
  text: string,
  opts: { code?: string; requestedAt?: string; label?: string | null; confidence?: number } = {},
): ReviewRequest {
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const event = { tenant: "acme", region: "eu", source: { system: "test", id: `t-${process.pid}-${n++}` }, payload: { text } };
  const envelope = createEnvelope("ticket", JSON.stringify(event), { traceparent });
  return {
    envelopeId: envelope.id,
    digest: envelope.digest,
    flow: "ticket",
    envelope,
    code: opts.code ?? "low_confidence",
    reason: "no model was confident about the intent",
    suggestions: {
      label: opts.label === undefined ? "card_arrival" : opts.label,
      confidence: opts.confidence ?? 0.41,
      tier: "small",
      model: "ticket-intent",
      modelVersion: "abc123def456",
      tried: [
        { tier: "small", model: "ticket-intent", label: "card_arrival", confidence: 0.41 },
        { tier: "large", model: "gpt-4o-mini", label: "card_delivery_estimate", confidence: 0.55 },
      ],
      suggestedReply: null,
    },
    requestedBy: { name: "triage", version: "1.0.0" },
    requestedAt: opts.requestedAt ?? new Date().toISOString(),
    policyRevision: 3,
    traceparent,
  };
}

/** A review request as the invoice agent sends one: the amount is off the purchase order's by more than the tolerance. */
export function invoiceRequest(id: string, opts: { amount?: number; poAmount?: number; poNumber?: string; vendorId?: string } = {}): ReviewRequest {
  const amount = opts.amount ?? 120;
  const poAmount = opts.poAmount ?? 100;
  const base = ticketRequest("unused");
  const event = {
    tenant: "acme",
    region: "eu",
    source: { system: "erp", id },
    payload: { invoiceNumber: id, poNumber: opts.poNumber ?? "PO-1", vendorId: opts.vendorId ?? "V-9", amount, currency: "EUR" },
  };
  const envelope = createEnvelope("invoice", JSON.stringify(event), { traceparent: base.traceparent });
  const reason = `amount ${amount} differs from PO amount ${poAmount} by ${amount - poAmount}, more than ${poAmount / 100} allowed`;
  return {
    ...base,
    envelopeId: envelope.id,
    digest: envelope.digest,
    flow: "invoice",
    envelope,
    code: "amount_out_of_tolerance",
    reason,
    suggestions: undefined,
    snapshot: { mismatches: [{ code: "amount_out_of_tolerance", reason, invoice: amount, purchaseOrder: poAmount }] },
    requestedBy: { name: "invoice", version: "1.1.0" },
  };
}
