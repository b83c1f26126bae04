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

test("mesh eval extract --llm stand-in settles held-out documents through the LLM tier and says the stand-in answers from the ground truth; without it the tier is off", async () => {
  type Report = { llm: string; all: { inconsistentCompleted: number; wrongAndCompleted: number }; heldOut: { documents: number; straightThrough: number; llmAsked: number; llmSettled: number } };
  const evalRun = async (...extra: string[]) => JSON.parse((await run(process.execPath, [mesh, "eval", "extract", "--documents", "120", "--seed", "4", "--json", ...extra])).stdout) as Report;
  const [off, withLlm] = await Promise.all([evalRun(), evalRun("--llm", "stand-in")]);
  assert.equal(off.llm, "off");
  assert.equal(off.heldOut.llmAsked, 0);
  assert.equal(withLlm.llm, "stand-in");
  assert.ok(withLlm.heldOut.llmSettled > 0 && withLlm.heldOut.llmSettled <= withLlm.heldOut.llmAsked, JSON.stringify(withLlm.heldOut));
  assert.ok(withLlm.heldOut.straightThrough > off.heldOut.straightThrough);
  assert.equal(withLlm.all.inconsistentCompleted, 0, "a truthful model reading figures that disagree still leaves them to a human");
  assert.equal(withLlm.all.wrongAndCompleted, 0);
  const { stdout } = await run(process.execPath, [mesh, "eval", "extract", "--documents", "24", "--llm", "stand-in"]);
  assert.match(stdout, /LLM tier: the stand-in, answering the unsure fields from the ground truth/);
  assert.match(stdout, /LLM settled/);
});

test("mesh eval extract --help names its options", async () => {
  const { stdout } = await run(process.execPath, [mesh, "eval", "--help"]);
  assert.match(stdout, /eval extract \[--documents 600\] \[--seed 1\] \[--json\] \[--llm off\|stand-in\]/);
});
