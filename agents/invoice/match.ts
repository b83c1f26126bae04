import type { InvoicePayload } from "../../shared/runtime/index.js";

/** How far an invoice amount may stray from its purchase order and still match. */
export interface Tolerance {
  readonly relative: number;
  readonly absolute: number;
}

export const defaultTolerance: Tolerance = { relative: 0.01, absolute: 0.5 };

export type Mismatch =
  | { readonly code: "po_not_found"; readonly reason: string }
  | { readonly code: "po_number_mismatch"; readonly reason: string; readonly invoice: string; readonly purchaseOrder: string }
  | { readonly code: "vendor_mismatch"; readonly reason: string; readonly invoice: string; readonly purchaseOrder: string }
  | { readonly code: "currency_mismatch"; readonly reason: string; readonly invoice: string; readonly purchaseOrder: string }
  | {
      readonly code: "amount_out_of_tolerance";
      readonly reason: string;
      readonly invoice: number;
      readonly purchaseOrder: number;
      readonly difference: number;
      readonly allowed: number;
    };

export type MatchResult =
  | { readonly matched: true; readonly poNumber: string; readonly difference: number }
  | { readonly matched: false; readonly mismatches: readonly Mismatch[] };

/** Deterministic two-way match of an invoice against its purchase order; reports every mismatch, not the first. */
export function matchInvoice(inv: InvoicePayload, tolerance: Tolerance = defaultTolerance): MatchResult {
  const po = inv.purchaseOrder;
  if (!po) return { matched: false, mismatches: [{ code: "po_not_found", reason: `no purchase order ${inv.poNumber} was found` }] };
  const mismatches: Mismatch[] = [];
  if (po.poNumber !== inv.poNumber) {
    mismatches.push({ code: "po_number_mismatch", reason: `invoice names PO ${inv.poNumber}, the order is ${po.poNumber}`, invoice: inv.poNumber, purchaseOrder: po.poNumber });
  }
  if (po.vendorId !== inv.vendorId) {
    mismatches.push({ code: "vendor_mismatch", reason: `invoice vendor ${inv.vendorId} differs from PO vendor ${po.vendorId}`, invoice: inv.vendorId, purchaseOrder: po.vendorId });
  }
  if (po.currency !== inv.currency) {
    mismatches.push({ code: "currency_mismatch", reason: `invoice in ${inv.currency}, PO in ${po.currency}`, invoice: inv.currency, purchaseOrder: po.currency });
  }
  const difference = round2(inv.amount - po.amount);
  const allowed = round2(Math.max(tolerance.absolute, po.amount * tolerance.relative));
  if (Math.abs(difference) > allowed) {
    mismatches.push({
      code: "amount_out_of_tolerance",
      reason: `amount ${inv.amount} differs from PO amount ${po.amount} by ${difference}, more than ${allowed} allowed`,
      invoice: inv.amount,
      purchaseOrder: po.amount,
      difference,
      allowed,
    });
  }
  return mismatches.length ? { matched: false, mismatches } : { matched: true, poNumber: po.poNumber, difference };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
