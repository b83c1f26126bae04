import { round2, type InvoiceFields } from "./fields.js";

/** IBAN check digits (ISO 13616, mod 97 = 1 over the rearranged digits). */
export function validIban(iban: string): boolean {
  const s = iban.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  return mod97(s.slice(4) + s.slice(0, 4)) === 1;
}

/** The two check digits that make `country + digits + bban` a valid IBAN. */
export function ibanCheckDigits(country: string, bban: string): string {
  return String(98 - mod97(`${bban}${country}00`)).padStart(2, "0");
}

function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const v = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) r = (r * 10 + Number(d)) % 97;
  }
  return r;
}

/** German VAT id check digit (ISO 7064 MOD 11,10 over the first eight digits). */
export function deVatCheckDigit(eight: string): number {
  let product = 10;
  for (const d of eight) {
    let sum = (Number(d) + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** A VAT id the mesh can verify: DE ids by their check digit, other EU ids by their national shape only. */
export function validVatId(vat: string): boolean {
  const s = vat.replace(/\s+/g, "").toUpperCase();
  if (/^DE\d{9}$/.test(s)) return deVatCheckDigit(s.slice(2, 10)) === Number(s[10]);
  return /^(ATU\d{8}|FR[0-9A-Z]{2}\d{9}|NL\d{9}B\d{2}|IT\d{11}|ES[0-9A-Z]\d{7}[0-9A-Z])$/.test(s);
}

/** A real calendar day, not just the shape (2026-02-30 is refused). */
export function validIsoDate(iso: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

export type CheckName = "linesSumToNet" | "lineAmounts" | "netPlusTaxIsTotal" | "datesValid" | "dueAfterIssue" | "iban" | "vatId";

export interface CheckResult {
  readonly name: CheckName;
  readonly ok: boolean;
  /** Whether a failure means the document disagrees with itself (its figures), not just that a field is unread. */
  readonly arithmetic: boolean;
  readonly detail: string;
}

/**
 * The checks a document's own figures must pass. Each runs only on the fields it needs; a check whose fields are
 * missing is absent, not failed (the field is then unsure for its own reason).
 */
export function runChecks(f: Partial<InvoiceFields>): CheckResult[] {
  const out: CheckResult[] = [];
  const cents = (n: number) => Math.round(n * 100);
  if (f.lines && f.lines.length && f.net !== undefined) {
    const sum = round2(f.lines.reduce((s, l) => s + l.amount, 0));
    out.push({ name: "linesSumToNet", ok: cents(sum) === cents(f.net), arithmetic: true, detail: `lines sum to ${sum}, net is ${f.net}` });
  }
  if (f.lines && f.lines.length) {
    const bad = f.lines.filter((l) => Math.abs(cents(l.quantity * l.unitPrice) - cents(l.amount)) > 1);
    out.push({ name: "lineAmounts", ok: bad.length === 0, arithmetic: true, detail: bad.length ? `${bad.length} line(s) where quantity × unit price ≠ amount` : "every line's quantity × unit price = amount" });
  }
  if (f.net !== undefined && f.tax !== undefined && f.total !== undefined) {
    out.push({ name: "netPlusTaxIsTotal", ok: cents(f.net) + cents(f.tax) === cents(f.total), arithmetic: true, detail: `${f.net} + ${f.tax} vs total ${f.total}` });
  }
  const dates = [f.issueDate, f.dueDate].filter((d): d is string => d !== undefined);
  if (dates.length) out.push({ name: "datesValid", ok: dates.every(validIsoDate), arithmetic: false, detail: dates.join(", ") });
  if (f.issueDate && f.dueDate && validIsoDate(f.issueDate) && validIsoDate(f.dueDate)) {
    out.push({ name: "dueAfterIssue", ok: f.dueDate >= f.issueDate, arithmetic: false, detail: `issued ${f.issueDate}, due ${f.dueDate}` });
  }
  if (f.iban !== undefined) out.push({ name: "iban", ok: validIban(f.iban), arithmetic: false, detail: "IBAN check digits (mod 97)" });
  if (f.vendorVat !== undefined) out.push({ name: "vatId", ok: validVatId(f.vendorVat), arithmetic: false, detail: "VAT id check digit / shape" });
  return out;
}
