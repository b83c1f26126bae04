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

/** v2 adds who is paid: the payee's name, bank account and contact (all personal, see personalFields). */
export const invoicePayloadV2 = invoicePayloadV1.extend({
  payee: z
    .object({
      name: z.string().trim().min(1).max(256).optional(),
      iban: z.string().trim().min(1).max(64).optional(),
      email: z.string().trim().min(1).max(256).optional(),
      phone: z.string().trim().min(1).max(64).optional(),
    })
    .optional(),
});

export const ticketPayloadV1 = z.object({
  text: z.string().trim().min(1).max(10_000),
  customerId: z.string().trim().min(1).optional(),
  channel: z.enum(["email", "chat", "phone", "social", "web"]).default("web"),
});

export const flowSchemas = {
  invoice: { 1: invoicePayloadV1, 2: invoicePayloadV2 },
  ticket: { 1: ticketPayloadV1 },
} as const;

/**
 * Payload fields that identify a person, per flow and schema version (dot-separated paths). The runtime encrypts
 * them at ingest and decrypts them only for an agent granted `data.read` on the flow's personal data.
 * A vendor id names a sole trader as often as a company, so it counts as personal; amounts, codes and
 * purchase-order numbers do not.
 */
const invoicePersonalV1 = ["vendorId", "purchaseOrder.vendorId"] as const;
export const personalFields: { readonly [F in FlowName]: Readonly<Record<number, readonly string[]>> } = {
  invoice: { 1: invoicePersonalV1, 2: [...invoicePersonalV1, "payee.name", "payee.iban", "payee.email", "payee.phone"] },
  ticket: { 1: ["text", "customerId"] },
};

/** The data class every personal field belongs to; policy grants `data.read` on it. */
export const personalDataClass = "personal";

export function personalFieldsOf(flow: string, version: number): readonly string[] {
  return isFlow(flow) ? (personalFields[flow][version] ?? []) : [];
}

export type FlowName = keyof typeof flowSchemas;
export type InvoicePayload = z.infer<typeof invoicePayloadV2>;
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
