import type { InvoiceFields, TaskEnvelope } from "../../shared/runtime/index.js";

/**
 * The invoice flow's inbound event for extracted fields (invoice payload v2): the vendor is named by its VAT id,
 * the payee by name and IBAN. The source is the document's envelope, so a repeated hand-off is one invoice.
 * No purchase order rides along: the invoice stage looks the order up as it does for any invoice.
 */
export function invoiceEvent(task: TaskEnvelope, fields: InvoiceFields) {
  return {
    schemaVersion: 2,
    tenant: task.tenant,
    region: task.region,
    source: { system: "extract", id: task.id },
    payload: {
      invoiceNumber: fields.invoiceNumber,
      poNumber: fields.poNumber,
      vendorId: fields.vendorVat,
      amount: fields.total,
      currency: fields.currency,
      payee: { name: fields.vendorName, iban: fields.iban },
    },
  };
}
