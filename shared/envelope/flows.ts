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

/**
 * A mention of the mesh's account on a social feed, as the social connector reads it from the platform.
 * `thread` is the id of the conversation's first status, so one reply per thread holds however deep the mention is.
 * The flags describe the author as the platform reports them; `fromSelf` is the connector's own account.
 */
export const socialMentionPayloadV1 = z.object({
  statusId: z.string().trim().min(1).max(64),
  thread: z.string().trim().min(1).max(64),
  text: z.string().max(10_000),
  author: z.object({
    id: z.string().trim().min(1).max(64),
    acct: z.string().trim().min(1).max(256),
    bot: z.boolean(),
    locked: z.boolean(),
  }),
  mentioned: z.boolean(),
  fromSelf: z.boolean(),
});

/** Content types the extract stage reads; anything else is refused at ingest, before a document is fetched. */
export const documentContentTypes = ["application/pdf", "text/plain", "message/rfc822", "application/xml", "text/xml"] as const;

/** Largest document a reference may name; the bytes live in the document store, never in a message. */
export const maxDocumentBytes = 64 * 1024 * 1024;

/**
 * A document by reference (claim-check): its name in the document store, the SHA-256 of its bytes (the runtime
 * refuses bytes that do not hash to it) and its size. The bytes themselves never ride in a message.
 */
export const documentRefV1 = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, "letters, digits, . _ - only, at most 200"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the lower-case hex SHA-256 of the document"),
  size: z.number().int().positive().max(maxDocumentBytes, `must be at most ${maxDocumentBytes} bytes`),
  contentType: z
    .string()
    .trim()
    .transform((s) => s.split(";")[0]!.trim().toLowerCase())
    .pipe(z.enum(documentContentTypes, { error: `must be one of ${documentContentTypes.join(", ")}` })),
});

/** An arriving document to read into another flow's payload (today: an invoice, for the invoice flow). */
export const documentPayloadV1 = z.object({
  kind: z.literal("invoice"),
  document: documentRefV1,
  /** How it arrived: the mailbox, the upload portal. */
  channel: z.enum(["email", "upload", "edi", "scan"]).default("upload"),
});

export const flowSchemas = {
  invoice: { 1: invoicePayloadV1, 2: invoicePayloadV2 },
  ticket: { 1: ticketPayloadV1 },
  social: { 1: socialMentionPayloadV1 },
  document: { 1: documentPayloadV1 },
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
  social: { 1: ["text", "author.id", "author.acct"] },
  // The document's bytes hold personal data (names, IBANs) but stay in the store; the reference holds none.
  document: { 1: [] },
};

/** The data class every personal field belongs to; policy grants `data.read` on it. */
export const personalDataClass = "personal";

export function personalFieldsOf(flow: string, version: number): readonly string[] {
  return isFlow(flow) ? (personalFields[flow][version] ?? []) : [];
}

export type FlowName = keyof typeof flowSchemas;
export type InvoicePayload = z.infer<typeof invoicePayloadV2>;
export type TicketPayload = z.infer<typeof ticketPayloadV1>;
export type SocialMentionPayload = z.infer<typeof socialMentionPayloadV1>;
export type DocumentPayload = z.infer<typeof documentPayloadV1>;
export type DocumentRef = z.infer<typeof documentRefV1>;

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

/**
 * Payload fields the runtime lifts into the task's facts (`task.attributes.<name>`) for policy to decide on: only
 * flags the schema admitted at ingest, never personal fields, so a rule reads what the source said, as validated.
 */
const attributeFields: Partial<Record<FlowName, Readonly<Record<string, string>>>> = {
  social: { mentioned: "mentioned", authorBot: "author.bot", authorLocked: "author.locked", fromSelf: "fromSelf" },
};

export type TaskAttributes = Readonly<Record<string, string | number | boolean>>;

export function taskAttributesOf(flow: string, payload: unknown): TaskAttributes | undefined {
  const fields = isFlow(flow) ? attributeFields[flow] : undefined;
  if (!fields) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [name, path] of Object.entries(fields)) {
    const value = path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), payload);
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[name] = value;
  }
  return out;
}
