import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { plotSize } from "../../../shared/models/reliability-plot.js";
import { decodePng } from "../models/png-decode.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../../cli/mesh.mjs", import.meta.url));
const dataset = fileURLToPath(new URL("../../../shared/datasets/banking77/train.csv", import.meta.url));

test("mesh eval triage --data <csv> --json prints accuracy, coverage, precision, per-intent figures, confusions and reliability of the shipped model on that file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-eval-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = readFileSync(dataset, "utf8").trim().split("\n");
  // Every 50th row, plus one row whose label the model has never heard of.
  const sample = [lines[0], ...lines.slice(1).filter((_, i) => i % 50 === 0), "where is my parcel,parcel_tracking"];
  const csv = join(dir, "sample.csv");
  writeFileSync(csv, `${sample.join("\n")}\n`);
  const { stdout } = await run(process.execPath, [mesh, "eval", "triage", "--data", csv, "--json"]);
  const result = JSON.parse(stdout) as {
    rows: number;
    accuracy: number;
    coverage: number;
    precision: number;
    unknownLabels: number;
    report: { intents: { intent: string; support: number; precision: number; recall: number }[]; confusions: { truth: string; predicted: string }[]; reliability: { rows: number }[] };
  };
  assert.equal(result.rows, sample.length - 1);
  assert.equal(result.unknownLabels, 1);
  assert.equal(result.report.reliability.reduce((n, b) => n + b.rows, 0), result.rows);
  assert.equal(result.report.intents.find((i) => i.intent === "parcel_tracking")?.recall, 0, "an intent the model does not know is never recalled");
  assert.ok(result.report.confusions.some((c) => c.truth === "parcel_tracking"));
  for (const k of ["accuracy", "coverage", "precision"] as const) assert.ok(result[k] > 0 && result[k] <= 1, `${k} = ${result[k]}`);
});

test("mesh eval triage prints the weakest intents, the worst confusions and an ASCII reliability diagram", async () => {
  const { stdout } = await run(process.execPath, [mesh, "eval", "triage"]);
  assert.match(stdout, /weakest intents \(of 77\)/);
  assert.match(stdout, /worst confusions \(true → predicted\)\n\s+\d+ {2}\S+ → \S+/);
  assert.match(stdout, /reliability .*ECE 0\.\d{3}\)\n(\s+0\.\d–\d\.\d #*\|?[# |]* acc .*\n?)+/);
});

test("mesh eval with an unknown target or a missing file says what to do", async () => {
  await assert.rejects(run(process.execPath, [mesh, "eval", "invoices"]), (err: { code: number; stderr: string }) => err.code === 2 && /mesh eval triage/.test(err.stderr));
  await assert.rejects(run(process.execPath, [mesh, "eval", "triage", "--data", "/nonexistent.csv"]), (err: { code: number; stderr: string }) => err.code === 1 && /nonexistent\.csv/.test(err.stderr));
});

test("mesh eval triage --plot <file.png> writes the reliability diagram as a valid PNG of the plot's size, and says where", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-eval-plot-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "reliability.png");
  const { stdout } = await run(process.execPath, [mesh, "eval", "triage", "--plot", file]);
  assert.match(stdout, new RegExp(`reliability diagram written to ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  const png = decodePng(readFileSync(file));
  assert.deepEqual({ width: png.width, height: png.height }, plotSize);
});
