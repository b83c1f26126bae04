/**
 * A seeded corpus of checksum-valid PII inside ticket-like sentences, with the exact value and its
 * entity for every seed. Deterministic for a given seed, so a recall figure is reproducible.
 */
import type { PiiEntity } from "../../../policy/pii/index.js";
import { mulberry32 } from "../../../shared/prng/index.js";

export interface Seeded {
  text: string;
  values: { entity: PiiEntity; value: string }[];
}

export function createCorpus(size: number, seed = 77): Seeded[] {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join("");
  const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(65 + int(26))).join("");

  const luhnComplete = (partial: string) => {
    for (let d = 0; d < 10; d++) {
      const s = partial + d;
      let sum = 0;
      for (let i = 0; i < s.length; i++) {
        let x = Number(s[s.length - 1 - i]);
        if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
        sum += x;
      }
      if (sum % 10 === 0) return s;
    }
    throw new Error("unreachable");
  };
  const card = () => {
    const kind = int(4);
    const prefix = kind === 0 ? "4" : kind === 1 ? String(51 + int(5)) : kind === 2 ? pick(["34", "37"]) : "6011";
    const len = kind === 2 ? 15 : 16;
    const number = luhnComplete(prefix + digits(len - prefix.length - 1));
    const style = int(3);
    if (style === 0) return number;
    const sep = style === 1 ? " " : "-";
    return len === 15 ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(sep) : number.match(/.{4}/g)!.join(sep);
  };

  const ibanFormats: Record<string, () => string> = {
    DE: () => digits(18),
    GB: () => letters(4) + digits(14),
    FR: () => digits(23),
    NL: () => letters(4) + digits(10),
    ES: () => digits(20),
    IT: () => letters(1) + digits(22),
    BE: () => digits(12),
    IE: () => letters(4) + digits(14),
  };
  const iban = () => {
    const country = pick(Object.keys(ibanFormats));
    const bban = ibanFormats[country]!();
    const numeric = (bban + country + "00").replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
    let rem = 0;
    for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
    const value = country + String(98 - rem).padStart(2, "0") + bban;
    return int(2) ? value : value.match(/.{1,4}/g)!.join(" ");
  };

  const names = ["jane", "omar", "li.wei", "maria-jose", "k.oconnor", "sam_99", "anna+bank", "j.smith"];
  const domains = ["example.com", "mail.example.org", "bank-customer.co.uk", "posteo.de", "example.fr", "uni.example.edu"];
  const email = () => `${pick(names)}${int(3) ? int(1000) : ""}@${pick(domains)}`;

  const phone = () => {
    switch (int(8)) {
      case 0: return `+44 20 ${digits(4)} ${digits(4)}`;
      case 1: return `+1 (${200 + int(700)}) ${digits(3)}-${digits(4)}`;
      case 2: return `+49 30 ${digits(8)}`;
      case 3: return `+33 ${1 + int(9)} ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
      case 4: return `(${200 + int(700)}) ${digits(3)}-${digits(4)}`;
      case 5: return `${200 + int(700)}-${digits(3)}-${digits(4)}`;
      case 6: return `07${digits(3)} ${digits(6)}`;
      default: return `+353 8${int(10)} ${digits(3)} ${digits(4)}`;
    }
  };

  const makers: Record<"CREDIT_CARD" | "IBAN" | "EMAIL" | "PHONE", () => string> = { CREDIT_CARD: card, IBAN: iban, EMAIL: email, PHONE: phone };
  const templates = [
    (a: string, b: string) => `Hi, my card ${a} was charged twice. Please reach me on ${b}.`,
    (a: string, b: string) => `Refund to ${a} please, or contact ${b} today`,
    (a: string, b: string) => `${a} is mine; ${b} is my partner's.`,
    (a: string, b: string) => `I lost it yesterday (${a}) and can't log in. My details: ${b}`,
    (a: string, b: string) => `Transfer from ${a} never arrived!! ${b}`,
  ];
  const entities = Object.keys(makers) as (keyof typeof makers)[];
  return Array.from({ length: size }, () => {
    const e1 = pick(entities);
    const e2 = pick(entities);
    const v1 = makers[e1]();
    const v2 = makers[e2]();
    return { text: pick(templates)(v1, v2), values: [{ entity: e1, value: v1 }, { entity: e2, value: v2 }] };
  });
}
