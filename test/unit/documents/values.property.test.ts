import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatAmount, formatDate } from "../../../shared/documents/corpus/index.js";
import { ibanCheckDigits, validIban, deVatCheckDigit, validVatId, validIsoDate } from "../../../shared/documents/checks.js";
import { parseAmount, parseDate, parseFieldValue } from "../../../shared/documents/values.js";
import { scalarFieldNames } from "../../../shared/documents/fields.js";

const cents = fc.integer({ min: -99_999_999_99, max: 99_999_999_99 }).map((c) => c / 100);
const isoDay = fc.date({ min: new Date("1990-01-01"), max: new Date("2090-12-31"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

test("an amount printed in either convention parses back to the same cents", () => {
  fc.assert(fc.property(cents, fc.constantFrom("en" as const, "de" as const), (n, style) => assert.equal(parseAmount(formatAmount(n, style)), n)));
});

test("a date printed in an unambiguous style parses back to the same day", () => {
  fc.assert(fc.property(isoDay, fc.constantFrom("iso" as const, "dmy-dot" as const, "long" as const), (iso, style) => assert.deepEqual(parseDate(formatDate(iso, style)), { iso, ambiguous: false })));
});

test("a slashed date reads right once its order is known, and says so when both readings are real days", () => {
  fc.assert(
    fc.property(isoDay, (iso) => {
      assert.equal(parseDate(formatDate(iso, "dmy-slash"), "dmy")?.iso, iso);
      assert.equal(parseDate(formatDate(iso, "mdy-slash"), "mdy")?.iso, iso);
      const [, m, d] = iso.split("-").map(Number);
      if (m !== d && d! <= 12) assert.equal(parseDate(formatDate(iso, "dmy-slash"))?.ambiguous, true);
    }),
  );
});

test("no text, however hostile, makes a field parser throw or return an impossible date", () => {
  fc.assert(
    fc.property(fc.constantFrom(...scalarFieldNames), fc.string({ unit: "binary", maxLength: 40 }), (field, text) => {
      const parsed = parseFieldValue(field, text);
      if (parsed && (field === "issueDate" || field === "dueDate")) assert.ok(validIsoDate(String(parsed.value)));
    }),
  );
});

test("IBANs built with their check digits validate and any one changed digit is caught", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{18}$/), fc.nat(17), fc.integer({ min: 1, max: 9 }), (bban, at, delta) => {
      const iban = `DE${ibanCheckDigits("DE", bban)}${bban}`;
      assert.ok(validIban(iban));
      const changed = bban.slice(0, at) + String((Number(bban[at]) + delta) % 10) + bban.slice(at + 1);
      assert.equal(validIban(`DE${iban.slice(2, 4)}${changed}`), false);
    }),
  );
});

test("German VAT ids validate by their check digit", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{8}$/), (eight) => {
      const check = deVatCheckDigit(eight);
      assert.ok(validVatId(`DE${eight}${check}`));
      assert.equal(validVatId(`DE${eight}${(check + 1) % 10}`), false);
    }),
  );
});
