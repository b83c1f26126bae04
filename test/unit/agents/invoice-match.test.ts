import assert from "node:assert/strict";
import { test } from "node:test";
import { matchInvoice } from "../../../agents/invoice/match.js";

const po = { poNumber: "PO-1", vendorId: "V-1", amount: 1000, currency: "EUR" };
const invoice = { invoiceNumber: "I-1", poNumber: "PO-1", vendorId: "V-1", amount: 1000, currency: "EUR", purchaseOrder: po };

test("an invoice within 1% of its purchase order matches", () => {
  assert.deepEqual(matchInvoice({ ...invoice, amount: 1009.99 }), { matched: true, poNumber: "PO-1", difference: 9.99 });
});

test("an amount outside tolerance is a mismatch that names both amounts and the allowance", () => {
  const r = matchInvoice({ ...invoice, amount: 1010.01 });
  assert.equal(r.matched, false);
  assert.deepEqual(!r.matched && r.mismatches[0], {
    code: "amount_out_of_tolerance",
    reason: "amount 1010.01 differs from PO amount 1000 by 10.01, more than 10 allowed",
    invoice: 1010.01,
    purchaseOrder: 1000,
    difference: 10.01,
    allowed: 10,
  });
});

test("small purchase orders get the absolute allowance", () => {
  assert.equal(matchInvoice({ ...invoice, amount: 10.5, purchaseOrder: { ...po, amount: 10 } }).matched, true);
  assert.equal(matchInvoice({ ...invoice, amount: 10.51, purchaseOrder: { ...po, amount: 10 } }).matched, false);
});

test("every mismatch is reported, not only the first", () => {
  const r = matchInvoice({ ...invoice, vendorId: "V-2", currency: "USD", poNumber: "PO-9", amount: 2000 });
  assert.deepEqual(!r.matched && r.mismatches.map((m) => m.code), ["po_number_mismatch", "vendor_mismatch", "currency_mismatch", "amount_out_of_tolerance"]);
});

test("a missing purchase order escalates as po_not_found", () => {
  const { purchaseOrder: _none, ...withoutPo } = invoice;
  const r = matchInvoice(withoutPo);
  assert.deepEqual(!r.matched && r.mismatches.map((m) => m.code), ["po_not_found"]);
});
