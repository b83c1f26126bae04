import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPlan, type PlanIo } from "../../../cli/plan/index.js";

function io(stdin = ""): PlanIo & { out: string; err: string } {
  const r = {
    out: "",
    err: "",
    stdout: (t: string) => void (r.out += t),
    stderr: (t: string) => void (r.err += t),
    readStdin: async () => stdin,
  };
  return r;
}

const sheet = "task,frequency,manual_minutes,error_rate,expected_automation_rate\nmatch,100,6,2%,0.9\nclaims,50,30,0.1,0.4\n";

test("mesh plan prints the ranked table for a file", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "plan-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "tasks.csv"), sheet);
  const out = io();
  assert.equal(await runPlan([join(dir, "tasks.csv")], out), 0, out.err);
  assert.match(out.out, /^rank  task/);
  assert.match(out.out, /improve-extraction-first/);
});

test("mesh plan reads stdin and writes Markdown to --out", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "plan-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = io(sheet);
  const target = join(dir, "plan.md");
  assert.equal(await runPlan(["-", "--format", "md", "--out", target, "--hourly-rate", "80"], out), 0, out.err);
  assert.equal(out.out, `wrote ${target}\n`);
  assert.match(await readFile(target, "utf8"), /^\| rank \| task \|/);
});

test("mesh plan exits 2 and names the problem for bad flags and bad rows", async () => {
  const badFormat = io(sheet);
  assert.equal(await runPlan(["-", "--format", "xlsx"], badFormat), 2);
  assert.match(badFormat.err, /E_CONFIG: --format must be table, csv or md/);

  const badRow = io("task,frequency,manual_minutes,error_rate,expected_automation_rate\nx,1,1,0.1,7\n");
  assert.equal(await runPlan(["-"], badRow), 2);
  assert.match(badRow.err, /E_SCHEMA: line 2, expected_automation_rate/);

  const missing = io();
  assert.equal(await runPlan([], missing), 2);
  assert.match(missing.err, /a CSV file \(or - for stdin\) is required/);
});
