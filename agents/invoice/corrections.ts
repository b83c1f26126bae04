import { z } from "zod";
import { describeIssues, type InvoicePayload } from "../../shared/runtime/index.js";

/** What a reviewer may change on an invoice before it is matched again (agents/review declares the same form). */
const invoiceCorrections = z.strictObject({
  amount: z.number().positive().finite().optional(),
  poNumber: z.string().trim().min(1).max(64).optional(),
  vendorId: z.string().trim().min(1).max(64).optional(),
});

export type InvoiceCorrections = z.infer<typeof invoiceCorrections>;

/** The invoice as the reviewer corrected it; a correction outside the form is a bad decision, named by field. */
export function correctedInvoice(invoice: InvoicePayload, corrections: unknown): { invoice: InvoicePayload; corrected: InvoiceCorrections } | { error: string } {
  const parsed = invoiceCorrections.safeParse(corrections ?? {});
  if (!parsed.success) return { error: `corrections: ${describeIssues(parsed.error.issues)}` };
  return { invoice: { ...invoice, ...parsed.data }, corrected: parsed.data };
}
