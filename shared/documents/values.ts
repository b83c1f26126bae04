import { validIsoDate } from "./checks.js";
import { round2, type ScalarFieldName } from "./fields.js";

/** Day-month order of a slashed date: read from the document's own dates, or learned from a reviewer. */
export type DateOrder = "dmy" | "mdy";

const months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const pad = (n: number | string) => String(n).padStart(2, "0");

export interface ParsedDate {
  readonly iso: string;
  /** Both readings (day/month and month/day) give a real date, and the order was not known. */
  readonly ambiguous: boolean;
  /** The other reading, when ambiguous. */
  readonly alternative?: string;
}

/** A printed date in the layouts seen on invoices: ISO, 31.12.2026, 12/31/2026 or 31/12/2026, 2 March 2026. */
export function parseDate(text: string, order?: DateOrder): ParsedDate | undefined {
  const s = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m) return validIsoDate(s) ? { iso: s, ambiguous: false } : undefined;
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  if (m) return known(`${m[3]}-${pad(m[2]!)}-${pad(m[1]!)}`);
  m = /^(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})$/.exec(s);
  if (m) {
    const month = months.indexOf(m[2]!.toLowerCase());
    return month < 0 ? undefined : known(`${m[3]}-${pad(month + 1)}-${pad(m[1]!)}`);
  }
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (!m) return undefined;
  const dmy = `${m[3]}-${pad(m[2]!)}-${pad(m[1]!)}`;
  const mdy = `${m[3]}-${pad(m[1]!)}-${pad(m[2]!)}`;
  if (order) return known(order === "dmy" ? dmy : mdy);
  const okD = validIsoDate(dmy);
  const okM = validIsoDate(mdy);
  if (okD && okM && dmy !== mdy) return { iso: dmy, ambiguous: true, alternative: mdy };
  return okD ? { iso: dmy, ambiguous: false } : okM ? { iso: mdy, ambiguous: false } : undefined;
}

function known(iso: string): ParsedDate | undefined {
  return validIsoDate(iso) ? { iso, ambiguous: false } : undefined;
}

/**
 * A printed amount in either convention (1,234.56 or 1.234,56), a currency code or sign beside it allowed. The
 * decimal separator is the last . or , followed by one or two digits; any other separator groups thousands.
 */
export function parseAmount(text: string): number | undefined {
  const s = text.replace(/[A-Z]{3}|€|\$|£/g, "").trim();
  const m = /^(-?)(\d{1,3}(?:[.,\s]\d{3})*|\d+)(?:([.,])(\d{1,2}))?$/.exec(s);
  if (!m) return undefined;
  const int = m[2]!.replace(/[.,\s]/g, "");
  const value = Number(`${int}.${m[4] ?? "0"}`);
  return Number.isFinite(value) ? round2(m[1] ? -value : value) : undefined;
}

const idShape = /^[A-Z0-9][A-Z0-9._/-]{1,40}$/i;

/** A field's value from the text printed after its label; undefined when the text is not such a value. */
export function parseFieldValue(field: ScalarFieldName, text: string, order?: DateOrder): { value: string | number; ambiguous?: ParsedDate } | undefined {
  const s = text.trim();
  switch (field) {
    case "invoiceNumber":
    case "poNumber":
      return idShape.test(s) ? { value: s } : undefined;
    case "issueDate":
    case "dueDate": {
      const d = parseDate(s, order);
      return d ? { value: d.iso, ...(d.ambiguous ? { ambiguous: d } : {}) } : undefined;
    }
    case "currency":
      return /^[A-Z]{3}$/.test(s) ? { value: s } : undefined;
    case "vendorVat": {
      const v = s.replace(/\s+/g, "").toUpperCase();
      return /^[A-Z]{2}[0-9A-Z]{8,12}$/.test(v) ? { value: v } : undefined;
    }
    case "iban": {
      const v = s.replace(/\s+/g, "").toUpperCase();
      return /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(v) ? { value: v } : undefined;
    }
    case "vendorName":
      return s.length >= 2 && s.length <= 256 ? { value: s } : undefined;
    case "net":
    case "tax":
    case "total": {
      const n = parseAmount(s);
      return n === undefined ? undefined : { value: n };
    }
  }
}

/** A label as templates compare it: lower case, leader dots and colons dropped, spaces collapsed. */
export function normaliseLabel(label: string): string {
  return label.toLowerCase().replace(/\.{2,}/g, " ").replace(/\s*:\s*$/, "").replace(/\s+/g, " ").trim();
}
