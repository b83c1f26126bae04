import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseCsv, runPlan, type PlanIo } from "../../../cli/plan/index.js";

/** An agent's /metrics as a real HTTP server, with the completion counter the runtime keeps. */
async function metricsServer(t: { after(fn: () => Promise<void>): void }, body: string): Promise<string> {
  const server = createServer((_, res) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

const io = () => {
  const r = { out: "", err: "", stdout: (s: string) => void (r.out += s), stderr: (s: string) => void (r.err += s), readStdin: async () => sheet };
  return r as PlanIo & { out: string; err: string };
};

// Both rows expect 90%: the mesh measured otherwise for documents.
const sheet = "task,frequency,manual_minutes,error_rate,expected_automation_rate,flow\ninvoice documents,1000,6,2%,0.9,document\ntickets,500,4,2%,0.9,ticket\n";

test("a measured hit-rate under 60% makes the plan say invest in extraction, where the sheet expected models to pay", async (t) => {
  const extract = await metricsServer(t, 'mesh_tasks_completed_total{flow="document",agent="extract",touch="none"} 45\nmesh_tasks_completed_total{flow="document",agent="extract",touch="human"} 55\n');
  const triage = await metricsServer(t, 'mesh_tasks_completed_total{flow="ticket",agent="triage",touch="none"} 80\nmesh_tasks_completed_total{flow="ticket",agent="triage",touch="human"} 20\n');
  const out = io();
  assert.equal(await runPlan(["-", "--format", "csv", "--measured", `${extract},${triage}`], out), 0, out.err);
  const [header, ...rows] = parseCsv(out.out);
  const col = (name: string) => header!.fields.indexOf(name);
  const row = (task: string) => rows.find((r) => r.fields[col("task")] === task)!.fields;
  assert.deepEqual([row("invoice documents")[col("expected_hit_rate")], row("invoice documents")[col("hit_rate_source")], row("invoice documents")[col("invest")]], ["0.45", "measured", "extraction"]);
  assert.equal(row("invoice documents")[col("recommendation")], "improve-extraction-first");
  assert.deepEqual([row("tickets")[col("expected_hit_rate")], row("tickets")[col("invest")]], ["0.8", "models"]);
  assert.match(out.err, /measured document: 45 straight through, 55 after a human → hit-rate 45\.0%/);
});

test("without measurements for its flow a row keeps the sheet's expected hit-rate", async () => {
  const out = io();
  assert.equal(await runPlan(["-", "--format", "csv"], out), 0, out.err);
  const [header, ...rows] = parseCsv(out.out);
  assert.ok(rows.every((r) => r.fields[header!.fields.indexOf("hit_rate_source")] === "expected" && r.fields[header!.fields.indexOf("invest")] === "models"));
});
