import { emptyTemplate, learnFromReview, vendorTemplateSchema, type InvoiceFields, type StateStore, type VendorTemplate } from "../../shared/runtime/index.js";

/** State keys: one template per vendor key (its VAT id or IBAN), letters and digits only. */
const templateKey = (vendor: string) => `template.${vendor.replace(/[^A-Za-z0-9]/g, "")}`;

/** The vendor's learned template, if reviewers taught one; a stored value that does not parse is ignored, not trusted. */
export async function readTemplate(state: StateStore, vendor: string): Promise<VendorTemplate | undefined> {
  const entry = await state.get(templateKey(vendor));
  const parsed = entry ? vendorTemplateSchema.safeParse(entry.value) : undefined;
  return parsed?.success ? parsed.data : undefined;
}

/** Adds one reviewed document to the vendor's template (replicas may race: the put is last-writer-wins per review). */
export async function teachTemplate(state: StateStore, vendor: string, lines: readonly string[], reviewed: Partial<InvoiceFields>): Promise<VendorTemplate> {
  const template = learnFromReview((await readTemplate(state, vendor)) ?? emptyTemplate(vendor), lines, reviewed);
  await state.put(templateKey(vendor), template);
  return template;
}
