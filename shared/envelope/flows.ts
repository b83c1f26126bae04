import { z } from "zod";

/**
 * Per-flow payload schemas, by schema version. A new version is added beside the old one, never edited in
 * place: envelopes already in the streams must keep parsing as what they were.
 * Schemas also normalise (trim, upper-case codes), so the envelope holds one spelling of each value.
 */
const money = z.number().finite().nonnegative();
const currency = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR"));

const purchaseOrderV1 = z.object({
  poNumber: z.string().trim().min(1),
  vendorId: z.string().trim().min(1),
  amount: money,
  currency,
});

export const invoicePayloadV1 = z.object({
  invoiceNumber: z.string().trim().min(1),
  poNumber: z.string().trim().min(1),
  vendorId: z.string().trim().min(1),
  amount: money,
  currency,
  /** The purchase order the source system found for poNumber; absent when it found none. */
  purchaseOrder: purchaseOrderV1.optional(),
});

export const ticketPayloadV1 = z.object({
  text: z.string().trim().min(1).max(10_000),
  customerId: z.string().trim().min(1).optional(),
  channel: z.enum(["email", "chat", "phone", "social", "web"]).default("web"),
});

export const flowSchemas = {
  invoice: { 1: invoicePayloadV1 },
  ticket: { 1: ticketPayloadV1 },
} as const;

export type FlowName = keyof typeof flowSchemas;
export type InvoicePayload = z.infer<typeof invoicePayloadV1>;
export type TicketPayload = z.infer<typeof ticketPayloadV1>;

export function isFlow(name: string): name is FlowName {
  return Object.hasOwn(flowSchemas, name);
}

export function payloadSchema(flow: FlowName, version: number): z.ZodType | undefined {
  return (flowSchemas[flow] as Record<number, z.ZodType>)[version];
}

/**
 * The payload field a reviewer's correction of the flow's category lives in (a ticket's intent): what the
 * runtime takes as the task's category on the resume path.
 */
const categoryFields: Partial<Record<FlowName, string>> = { ticket: "intent" };

export function categoryFieldOf(flow: string): string | undefined {
  return isFlow(flow) ? categoryFields[flow] : undefined;
}
