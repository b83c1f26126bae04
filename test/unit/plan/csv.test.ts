import { test } from "node:test";
import assert from "node:assert/strict";
import { csvField, parseCsv } from "../../../cli/plan/index.js";

test("quoted fields keep commas, doubled quotes and line breaks, and records know their line", () => {
  const text = '\uFEFFtask,notes\r\n"match, then pay","say ""hi""\nto AP"\r\nsecond,\n\nthird,x';
  assert.deepEqual(parseCsv(text), [
    { line: 1, fields: ["task", "notes"] },
    { line: 2, fields: ["match, then pay", 'say "hi"\nto AP'] },
    { line: 4, fields: ["second", ""] },
    { line: 6, fields: ["third", "x"] },
  ]);
});

test("an unclosed quote is reported with the line it opened on", () => {
  assert.throws(() => parseCsv('task\n"never closed\nmore'), /line 2: a quoted field is not closed/);
});

test("a field round-trips through csvField", () => {
  for (const v of ["plain", "a,b", 'q"uote', "multi\nline"]) {
    assert.deepEqual(parseCsv(csvField(v))[0]?.fields, [v]);
  }
});
