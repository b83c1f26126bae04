import { z } from "zod";

/**
 * The invoice fields extraction produces, in one spelling: dates ISO (YYYY-MM-DD), amounts in major units
 * rounded to cents, currency ISO 4217, IBAN and VAT id without spaces, upper-case.
 */
export const lineItemSchema = z.object({
  description: z.string().min(1).max(512),
  quantity: z.number().finite(),
  unitPrice: z.number().finite(),
  amount: z.number().finite(),
});

export const invoiceFieldsSchema = z.object({
  invoiceNumber: z.string().min(1).max(64),
  issueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be an ISO date YYYY-MM-DD"),
  dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be an ISO date YYYY-MM-DD"),
  vendorName: z.string().min(1).max(256),
  vendorVat: z.string().min(1).max(32),
  iban: z.string().min(1).max(34),
  poNumber: z.string().min(1).max(64),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR"),
  net: z.number().finite(),
  tax: z.number().finite(),
  total: z.number().finite(),
  lines: z.array(lineItemSchema).max(1000),
});

export type LineItem = z.infer<typeof lineItemSchema>;
export type InvoiceFields = z.infer<typeof invoiceFieldsSchema>;
export type FieldName = keyof InvoiceFields;

/** Every field, in the order reports print them. */
export const fieldNames = [
  "invoiceNumber",
  "issueDate",
  "dueDate",
  "vendorName",
  "vendorVat",
  "iban",
  "poNumber",
  "currency",
  "net",
  "tax",
  "total",
  "lines",
] as const satisfies readonly FieldName[];

/** Scalar fields a template can anchor on (line items are read as a table, never anchored one by one). */
export const scalarFieldNames = fieldNames.filter((f): f is Exclude<FieldName, "lines"> => f !== "lines");
export type ScalarFieldName = (typeof scalarFieldNames)[number];

export const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Whether an extracted value equals the truth, in the field's own sense (amounts to the cent, lines item by item). */
export function sameValue(field: FieldName, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (field === "lines") {
    const x = a as LineItem[];
    const y = b as LineItem[];
    return x.length === y.length && x.every((l, i) => l.description === y[i]!.description && l.quantity === y[i]!.quantity && round2(l.unitPrice) === round2(y[i]!.unitPrice) && round2(l.amount) === round2(y[i]!.amount));
  }
  if (typeof a === "number" && typeof b === "number") return round2(a) === round2(b);
  return a === b;
}

/** The fields as a complete invoice, or undefined when any is missing or malformed (corrections arrive as JSON). */
export function invoiceFieldsOf(value: unknown): InvoiceFields | undefined {
  const parsed = invoiceFieldsSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
