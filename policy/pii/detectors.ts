import { isIPv6 } from "node:net";
import { ibanLengths, ibanValid, luhnValid, spanishIdValid } from "./checksums.js";
import { findPersonNames } from "./person-names.js";

export type PiiEntity = "CREDIT_CARD" | "IBAN" | "EMAIL" | "PHONE" | "IP_ADDRESS" | "US_SSN" | "UK_NINO" | "ES_NIF" | "PERSON";

/** Where a value was found. Findings never carry the value itself, so they are safe to log. */
export interface Finding {
  entity: PiiEntity;
  start: number;
  end: number;
}

interface Detector {
  entity: PiiEntity;
  /** Higher wins when two findings overlap (a card number also looks like a phone number). */
  priority: number;
  /** Fewest digits a match can hold: a text with fewer is not searched (most audit strings hold one or two). */
  minDigits?: number;
  /** A character every match holds (`@` for an email), checked before the search. */
  needs?: string;
  find(text: string): Finding[];
}

function byRegex(entity: PiiEntity, priority: number, regex: RegExp, valid: (match: string) => boolean = () => true): Detector {
  return {
    entity,
    priority,
    find(text) {
      const out: Finding[] = [];
      for (const m of text.matchAll(regex)) {
        if (valid(m[0])) out.push({ entity, start: m.index, end: m.index + m[0].length });
      }
      return out;
    },
  };
}

const digitsOf = (s: string) => s.replace(/\D/g, "");

const withNeeds = (needs: Pick<Detector, "minDigits" | "needs">, d: Detector): Detector => ({ ...d, ...needs });

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * 13–19 digits, optionally grouped by single spaces or dashes, passing Luhn, standing as a word of its
 * own: digits inside an identifier (`env_3ecde8033768…`) are not a card.
 */
const creditCard = withNeeds({ minDigits: 13 }, byRegex("CREDIT_CARD", 90, /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g, (m) => {
  const d = digitsOf(m);
  return d.length >= 13 && d.length <= 19 && luhnValid(d);
}));

/**
 * A known country code, check digits, then exactly the country's length of letters/digits, allowing
 * single spaces between groups. Walking by the country's length keeps a trailing word from being
 * swallowed; unknown countries are not tried, or one random alphanumeric id in ~97 would pass mod-97.
 */
const iban: Detector = {
  entity: "IBAN",
  priority: 95,
  minDigits: 2,
  find(text) {
    const out: Finding[] = [];
    for (const m of text.matchAll(/(?<![\w-])[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9])/g)) {
      const length = ibanLengths[m[0].slice(0, 2).toUpperCase()];
      if (!length) continue;
      let chars = m[0].toUpperCase();
      let end = m.index + 4;
      while (chars.length < length && end < text.length) {
        const ch = text[end]!;
        if (ch === " " && /[A-Za-z0-9]/.test(text[end + 1] ?? "")) {
          end++;
          continue;
        }
        if (!/[A-Za-z0-9]/.test(ch)) break;
        chars += ch.toUpperCase();
        end++;
      }
      if (chars.length === length && !/[\w-]/.test(text[end] ?? "") && ibanValid(chars)) out.push({ entity: "IBAN", start: m.index, end });
    }
    return out;
  },
};

const email = withNeeds({ needs: "@" }, byRegex("EMAIL", 80, /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g));

/**
 * International (+CC ...) or national numbers written with separators or a leading 0/(area); 8–15 digits.
 * Recall first: a bare run of digits that is not a card is left alone, a grouped one is taken.
 */
const phone = withNeeds({ minDigits: 8 }, byRegex(
  "PHONE",
  50,
  /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{2,4}\)[ .-]?\d{3,4}[ .-]?\d{3,4}|0\d{1,4}[ .-]\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])/g,
  (m) => {
    const n = digitsOf(m).length;
    return n >= 8 && n <= 15;
  },
));

const octet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const ipv4 = withNeeds({ minDigits: 4 }, byRegex("IP_ADDRESS", 60, new RegExp(`(?<![\\w.])${octet}(?:\\.${octet}){3}(?![\\d.]*\\d)`, "g")));
const ipv6 = withNeeds({ needs: ":" }, byRegex("IP_ADDRESS", 60, /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![0-9A-Fa-f:])/g, (m) => isIPv6(m)));

/** AAA-GG-SSSS with the never-issued ranges (000, 666, 9xx areas; 00 group; 0000 serial) excluded. */
const usSsn = withNeeds({ minDigits: 9 }, byRegex("US_SSN", 70, /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])/g));

/** UK National Insurance number: two letters (HMRC's excluded prefixes removed), six digits, A–D. */
const ukNino = withNeeds({ minDigits: 6 }, byRegex(
  "UK_NINO",
  70,
  /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ|bg|gb|nk|kn|tn|nt|zz)[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z] ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d](?![A-Za-z0-9])/g,
));

const esNif = withNeeds({ minDigits: 7 }, byRegex("ES_NIF", 70, /(?<![A-Za-z0-9])[XYZxyz]?\d{7,8}-?[A-Za-z](?![A-Za-z0-9])/g, spanishIdValid));

/** Lowest priority: a name inside an email address is the email's. */
const person: Detector = {
  entity: "PERSON",
  priority: 40,
  find: (text) => findPersonNames(text).map((s) => ({ entity: "PERSON", ...s })),
};

export const detectors: readonly Detector[] = [iban, creditCard, email, usSsn, ukNino, esNif, ipv4, ipv6, phone, person];

/**
 * Every detector but the name detector needs a digit, an `@` or an IPv6 `:`, and the name detector a capital
 * letter; most strings in records (ids, subjects, codes) have neither, and are skipped at the cost of two tests.
 */
const mayHoldPii = /[\d@:]/;
const mayHoldName = /\p{Lu}/u;

/** All findings, overlaps resolved (higher priority, then longer, wins), in text order. */
export function detectPii(text: string, entities?: ReadonlySet<PiiEntity>): Finding[] {
  const numbers = mayHoldPii.test(text);
  const names = mayHoldName.test(text);
  if (!numbers && !names) return [];
  const ranked: (Finding & { priority: number })[] = [];
  const digits = numbers ? digitCount(text) : 0;
  for (const d of detectors) {
    if (entities && !entities.has(d.entity)) continue;
    if (!(d.entity === "PERSON" ? names : numbers)) continue;
    if ((d.minDigits && digits < d.minDigits) || (d.needs && !text.includes(d.needs))) continue;
    for (const f of d.find(text)) ranked.push({ ...f, priority: d.priority });
  }
  ranked.sort((a, b) => b.priority - a.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of ranked) {
    if (kept.some((k) => f.start < k.end && k.start < f.end)) continue;
    kept.push({ entity: f.entity, start: f.start, end: f.end });
  }
  return kept.sort((a, b) => a.start - b.start);
}
