import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../../cli/mesh.mjs", import.meta.url));

test("mesh eval extract --json reports per-field accuracy and straight-through rate on a generated corpus, held-out layouts apart, and no self-contradicting invoice completes", async () => {
  const { stdout, stderr } = await run(process.execPath, [mesh, "eval", "extract", "--documents", "120", "--seed", "4", "--json"]);
  const report = JSON.parse(stdout) as {
    layouts: number;
    all: { documents: number; straightThrough: number; inconsistentCompleted: number; wrongAndCompleted: number; correct: Record<string, number> };
    heldOut: { documents: number };
    seen: { documents: number; straightThrough: number };
  };
  assert.equal(report.all.documents, 120);
  assert.equal(report.layouts, 12);
  assert.ok(report.heldOut.documents > 0 && report.seen.documents + report.heldOut.documents === 120);
  assert.equal(report.all.inconsistentCompleted, 0);
  assert.equal(report.all.wrongAndCompleted, 0);
  assert.deepEqual(Object.keys(report.all.correct).sort(), ["currency", "dueDate", "iban", "invoiceNumber", "issueDate", "lines", "net", "poNumber", "tax", "total", "vendorName", "vendorVat"]);
  assert.ok(report.seen.straightThrough > 0);
  assert.match(stderr, /extracting .*120\/120/, "long work shows progress");
});

test("mesh eval extract --help names its options", async () => {
  const { stdout } = await run(process.execPath, [mesh, "eval", "--help"]);
  assert.match(stdout, /eval extract \[--documents 600\] \[--seed 1\] \[--json\]/);
});
