import { z } from "zod";
import { sameValue, scalarFieldNames, type InvoiceFields, type ScalarFieldName } from "./fields.js";
import { afterLabel } from "./heuristics.js";
import { normaliseLabel, parseFieldValue, type DateOrder } from "./values.js";

/** Corrections that must agree on a field's label before a template reads that field without a human. */
export const correctionsToLearn = 2;

/**
 * What reviewers taught about one vendor's layout: for each field, the labels its corrected values were printed
 * after, counted; and the day-month order of its dates. Stored as JSON in the extract agent's state.
 */
export const vendorTemplateSchema = z.object({
  vendor: z.string().min(1).max(64),
  corrections: z.number().int().nonnegative(),
  anchors: z.record(z.string(), z.record(z.string().max(128), z.number().int().positive())),
  dateOrder: z.object({ dmy: z.number().int().positive().optional(), mdy: z.number().int().positive().optional() }),
});
export type VendorTemplate = z.infer<typeof vendorTemplateSchema>;

export function emptyTemplate(vendor: string): VendorTemplate {
  return { vendor, corrections: 0, anchors: {}, dateOrder: {} };
}

/**
 * Learns from one reviewed document: for each field the reviewer settled, the label on the line where that
 * value is printed (the text before it). Nothing is learned for a value printed nowhere.
 */
export function learnFromReview(template: VendorTemplate, lines: readonly string[], reviewed: Partial<InvoiceFields>): VendorTemplate {
  const anchors: Record<string, Record<string, number>> = structuredClone(template.anchors);
  const dateOrder: Partial<Record<DateOrder, number>> = { ...template.dateOrder };
  for (const field of scalarFieldNames) {
    const truth = reviewed[field];
    if (truth === undefined) continue;
    const hit = locate(field, lines, truth);
    if (!hit) continue;
    const byLabel = (anchors[field] ??= {});
    byLabel[hit.label] = (byLabel[hit.label] ?? 0) + 1;
    if (hit.order) dateOrder[hit.order] = (dateOrder[hit.order] ?? 0) + 1;
  }
  return { vendor: template.vendor, corrections: template.corrections + 1, anchors, dateOrder };
}

/** Where a known value is printed: the label before it on its line, and the date order that reads it right. */
function locate(field: ScalarFieldName, lines: readonly string[], truth: unknown): { label: string; order?: DateOrder } | undefined {
  for (const [i, line] of lines.entries()) {
    const words = line.replace(/\s\.{2,}\s/g, " ").trim().split(/\s+/);
    for (let k = 0; k < words.length; k++) {
      const label = normaliseLabel(words.slice(0, k).join(" "));
      if (k === 0 && i !== 0 && field !== "vendorName") continue;
      // A label has no figures in it: a table row that happens to end in the same amount is not where the field is.
      if (/\d/.test(label)) continue;
      const text = words.slice(k).join(" ");
      for (const order of field === "issueDate" || field === "dueDate" ? (["dmy", "mdy"] as const) : [undefined]) {
        const parsed = parseFieldValue(field, text, order);
        if (parsed && sameValue(field, parsed.value, truth)) return { label: label || `#line${i}`, ...(order && /\//.test(text) ? { order } : {}) };
      }
    }
  }
  return undefined;
}

/** The label a template trusts for a field: the one enough corrections agreed on. */
function learnedLabel(template: VendorTemplate, field: ScalarFieldName): string | undefined {
  const best = Object.entries(template.anchors[field] ?? {}).sort((a, b) => b[1] - a[1])[0];
  return best && best[1] >= correctionsToLearn ? best[0] : undefined;
}

export function learnedDateOrder(template: VendorTemplate): DateOrder | undefined {
  const best = (Object.entries(template.dateOrder) as [DateOrder, number][]).sort((a, b) => b[1] - a[1])[0];
  return best && best[1] >= correctionsToLearn ? best[0] : undefined;
}

/** Fields a template reads from a new document of its vendor, each by its learned label. */
export function applyTemplate(template: VendorTemplate, lines: readonly string[]): Partial<Record<ScalarFieldName, { value: string | number; line: number }>> {
  const order = learnedDateOrder(template);
  const out: Partial<Record<ScalarFieldName, { value: string | number; line: number }>> = {};
  for (const field of scalarFieldNames) {
    const label = learnedLabel(template, field);
    if (!label) continue;
    const fixedLine = /^#line(\d+)$/.exec(label);
    for (const [i, line] of lines.entries()) {
      const text = fixedLine ? (Number(fixedLine[1]) === i ? line : undefined) : afterLabel(line, label);
      const parsed = text === undefined ? undefined : parseFieldValue(field, text, order);
      if (parsed && !parsed.ambiguous) {
        out[field] = { value: parsed.value, line: i };
        break;
      }
    }
  }
  return out;
}
