import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshError } from "../errors/index.js";
import { parseCsv, parseLabelledCsv } from "./csv.js";

const BOM = "\uFEFF";
const breaks = /\r\n|\r|\n/g;
const linesIn = (s: string) => s.match(breaks)?.length ?? 0;

/** Fields with the characters CSV quoting exists for, and text beyond ASCII (line numbers come from byte offsets). */
const field = fc.string({ unit: fc.constantFrom("a", "Z", " ", ",", '"', "\r", "\n", "é", "€", "😀", ";", "\t") });
// A record of one empty field is an empty line, which the parser skips as blank: not a record to round-trip.
const record = fc.array(field, { minLength: 1, maxLength: 5 }).filter((r) => r.length > 1 || r[0] !== "");
const delimiter = fc.constantFrom("\n", "\r\n", "\r");

/** The quoting a spreadsheet writes; `always` quotes every field, as some exporters do. */
const quote = (v: string, always: boolean) => (always || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

test("any records written as CSV (any line endings, blank lines, BOM, quoting) parse back with the line each starts on", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ fields: record, after: delimiter, blank: fc.array(delimiter, { maxLength: 2 }), always: fc.boolean() }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      fc.boolean(),
      (rows, bom, trailing) => {
        const text = rows.map((r, i) => r.fields.map((f) => quote(f, r.always)).join(",") + (i < rows.length - 1 || trailing ? r.after + r.blank.join("") : "")).join("");
        // Lines counted as the text holds them: a "\r" delimiter then a "\n" blank line is one CRLF break.
        const expected = rows.map((r, i) => ({ line: 1 + linesIn(text.slice(0, startOf(text, rows, i))), fields: r.fields }));
        assert.deepEqual(parseCsv((bom ? BOM : "") + text), expected);
      },
    ),
    { numRuns: 400 },
  );
});

/** Where record `i` starts in `text`: after the previous records and the line breaks that follow them. */
function startOf(text: string, rows: readonly { fields: string[]; always: boolean }[], i: number): number {
  let at = 0;
  for (let k = 0; k < i; k++) {
    at += rows[k]!.fields.map((f) => quote(f, rows[k]!.always)).join(",").length;
    while (text[at] === "\r" || text[at] === "\n") at++;
  }
  return at;
}

test("a field with a stray quote is kept as written, in data sets and plans alike", () => {
  assert.deepEqual(parseCsv('task,notes\n5" screws,"ab"c\n'), [
    { line: 1, fields: ["task", "notes"] },
    { line: 2, fields: ['5" screws', '"ab"c'] },
  ]);
});

test("a labelled data set exported with a BOM and CRLF reads its header and quoted rows", () => {
  const csv = `${BOM}text,category\r\n"card declined, twice",card_declined\r\n"he said ""hi""",greeting\r\n`;
  assert.deepEqual(parseLabelledCsv(csv), [
    { text: "card declined, twice", category: "card_declined" },
    { text: 'he said "hi"', category: "greeting" },
  ]);
});

test("an unclosed quote is a schema error naming the line its record starts on", () => {
  assert.throws(
    () => parseCsv('text,category\nok,a\n\n"never closed\nmore'),
    (err: unknown) => err instanceof MeshError && err.code === "E_SCHEMA" && /^line 4: a quoted field is not closed/.test(err.message),
  );
});

test("a labelled row missing its category names its line", () => {
  assert.throws(() => parseLabelledCsv('text,category\n"two\nlines",a\nthird,'), /csv line 4: category/);
});
