import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openStateStore } from "../../shared/bus/index.js";
import { runMesh } from "../helpers/cli.js";
import { startNats } from "../helpers/nats.js";

test("mesh plan --vendors prints each vendor's document hit-rate from the extract agent's counts, with where to invest by the 60% rule", { timeout: 60_000 }, async (t) => {
  const nats = await startNats(t);
  const state = await openStateStore(await nats.connect("operator"), "mesh_state_extract");
  await state.put("hits.DE123456788", { vendor: "DE123456788", straightThrough: 9, human: 1 });
  await state.put("hits.DE999999999", { vendor: "DE999999999", straightThrough: 2, human: 6 });
  const dir = mkdtempSync(join(tmpdir(), "plan-vendors-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sheet = join(dir, "tasks.csv");
  writeFileSync(sheet, "task,frequency,manual_minutes,error_rate,expected_automation_rate,flow\ninvoice documents,1000,6,2%,0.7,document\n");
  const ran = await runMesh(nats.cliEnv(), "plan", sheet, "--vendors");
  assert.equal(ran.code, 0, ran.stderr);
  const lines = ran.stdout.split("\n");
  const row = (vendor: string) => lines.find((l) => l.startsWith(vendor)) ?? "";
  assert.match(row("DE999999999"), /\s2\s+6\s+25%\s+extraction/);
  assert.match(row("DE123456788"), /\s9\s+1\s+90%\s+models/);
  assert.ok(lines.indexOf(row("DE999999999")) < lines.indexOf(row("DE123456788")), "worst hit-rate first");
});
