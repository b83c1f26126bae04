/**
 * Sample invoice events for the demo and the tests: every 5th has an amount outside tolerance and every
 * 7th names another vendor, so a run has both outcomes and the expected split is computable.
 */
export interface InvoiceEvent {
  readonly tenant: string;
  readonly region: string;
  readonly source: { readonly system: string; readonly id: string };
  readonly payload: Record<string, unknown>;
}

export function invoiceEvents(count: number, opts: { system?: string; region?: string } = {}): InvoiceEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const amount = 100 + (i % 50) * 10;
    const po = { poNumber: `PO-${10000 + i}`, vendorId: `V-${i % 13}`, amount, currency: "EUR" };
    return {
      tenant: "acme",
      region: opts.region ?? "eu",
      source: { system: opts.system ?? "erp", id: `INV-${i}` },
      payload: {
        invoiceNumber: `INV-${i}`,
        poNumber: po.poNumber,
        vendorId: i % 7 === 3 ? "V-other" : po.vendorId,
        amount: i % 5 === 4 ? amount * 1.2 : amount,
        currency: "eur",
        purchaseOrder: po,
      },
    };
  });
}

export function expectedInvoiceOutcome(i: number): "completed" | "escalated" {
  return i % 5 === 4 || i % 7 === 3 ? "escalated" : "completed";
}
