import { mulberry32 } from "../../prng/index.js";
import { deVatCheckDigit, ibanCheckDigits } from "../checks.js";
import { round2, type InvoiceFields, type LineItem } from "../fields.js";
import { layouts, type Layout } from "./layouts.js";

export interface Vendor {
  readonly id: string;
  readonly name: string;
  readonly vat: string;
  readonly iban: string;
  readonly currency: string;
  readonly layout: Layout;
}

/** One generated invoice: what the vendor meant to bill, and whether its printed figures agree with each other. */
export interface TruthDocument {
  readonly id: string;
  readonly vendor: Vendor;
  readonly fields: InvoiceFields;
  /** False when the vendor's figures contradict themselves (a typo in the total): it must never complete unattended. */
  readonly consistent: boolean;
}

const names = ["Acme Tools", "Brightline Paper", "Nordwind Logistik", "Cobalt Office", "Lumen Electric", "Fairway Catering", "Ostsee Druck", "Pinecrest IT", "Rivage Services", "Summit Cleaning", "Tanner Freight", "Vela Software", "Weber Metallbau", "Atelier Morel", "Harbor Supplies", "Kite Analytics", "Glasshouse Media", "Iron Valley Parts", "Juniper Labs", "Maple Courier", "Orchid Textiles", "Quarry Stone", "Sable Security", "Yarrow Foods"];
const suffixes = ["GmbH", "Ltd", "SARL", "Inc.", "AG", "LLC"];
const items = ["Copy paper A4", "Toner cartridge", "Consulting hours", "Pallet transport", "Desk chair", "Network switch", "Cleaning service", "Catering lunch", "Software licence", "Steel bracket", "Cable set", "Printing flyers", "Security patrol", "Monitor 27 inch", "Courier delivery", "Maintenance visit"];
const currencies = ["EUR", "EUR", "EUR", "USD", "GBP", "CHF"];

/** Vendors: two per layout, each with a valid VAT id and IBAN; fixed by `seed`. */
export function vendorsFor(seed: number): Vendor[] {
  const next = mulberry32(seed ^ 0x5eed);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join("");
  return layouts.flatMap((layout, li) =>
    [0, 1].map((k) => {
      const i = li * 2 + k;
      const eight = digits(8);
      const bban = digits(18);
      return {
        id: `V${String(i + 1).padStart(3, "0")}`,
        name: `${names[i % names.length]} ${suffixes[i % suffixes.length]}`,
        vat: `DE${eight}${deVatCheckDigit(eight)}`,
        iban: `DE${ibanCheckDigits("DE", bban)}${bban}`,
        currency: layout.format === "ubl" || layout.format === "cii" ? "EUR" : currencies[Math.floor(next() * currencies.length)]!,
        layout,
      };
    }),
  );
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * `count` invoices spread over every vendor, fixed by `seed`; `inconsistentShare` of them carry a total that is
 * not net + tax (the case arithmetic checks exist for).
 */
export function truthCorpus(seed: number, count: number, inconsistentShare = 0.04): TruthDocument[] {
  const vendors = vendorsFor(seed);
  const next = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const out: TruthDocument[] = [];
  for (let n = 0; n < count; n++) {
    const vendor = vendors[n % vendors.length]!;
    const lineCount = 1 + Math.floor(next() * 5);
    const lines: LineItem[] = Array.from({ length: lineCount }, () => {
      const quantity = 1 + Math.floor(next() * 20);
      const unitPrice = round2(1 + next() * 400);
      return { description: pick(items), quantity, unitPrice, amount: round2(quantity * unitPrice) };
    });
    const net = round2(lines.reduce((s, l) => s + l.amount, 0));
    const tax = round2(net * pick([0.19, 0.2, 0.07, 0.1]));
    const consistent = next() >= inconsistentShare;
    const total = consistent ? round2(net + tax) : round2(net + tax + pick([1, 10, 0.1, -1, 100]));
    const issued = Date.UTC(2025, 0, 1) + Math.floor(next() * 540) * 86_400_000;
    out.push({
      id: `doc-${seed}-${n}`,
      vendor,
      consistent,
      fields: {
        invoiceNumber: `${vendor.id}-${String(1000 + n)}`,
        issueDate: iso(issued),
        dueDate: iso(issued + pick([14, 30, 45, 60]) * 86_400_000),
        vendorName: vendor.name,
        vendorVat: vendor.vat,
        iban: vendor.iban,
        poNumber: `PO-${String(Math.floor(next() * 900_000) + 100_000)}`,
        currency: vendor.currency,
        net,
        tax,
        total,
        lines,
      },
    });
  }
  return out;
}
