import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultPolicyPath } from "../../policy/index.js";
import { readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("mesh publish sends a JSONL file; mesh dlq ls shows the refusals; after the fix, mesh dlq replay completes them", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const env = { ...process.env, NATS_URL: nats.url };
  const strict = join(nats.dir, "strict-policy.yaml");
  writeFileSync(strict, readFileSync(defaultPolicyPath, "utf8").replace(`"mesh.review.invoice.requested", `, ""));
  const agents = await startAgents(t, nats, ["ingest"]);
  await agents.start("invoice", { POLICY_FILE: strict });
  const bus = await nats.connect();

  const events = invoiceEvents(40, { system: "cli" });
  const file = join(nats.dir, "invoices.jsonl");
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join("\n")}\nnot json at all\n`);
  const published = await run(process.execPath, [mesh, "publish", "invoice", file, "--json"], { env });
  assert.match(published.stderr, /41\/41 100%/, "progress still shows on stderr");
  assert.deepEqual(JSON.parse(published.stdout), { subject: subjects.inbound("invoice"), lines: 41, stored: 41, failed: [] }, "--json: the figures on stdout");

  const escalations = events.filter((_, i) => expectedInvoiceOutcome(i) === "escalated").length;
  await waitFor("refusals and the bad line in the DLQ", async () => (await readStream(bus, streamNames.dlq)).length >= escalations + 1);
  const listed = await run(process.execPath, [mesh, "dlq", "ls", "--json", "--flow", "invoice"], { env });
  const letters = listed.stdout.trim().split("\n").map((l) => JSON.parse(l) as { code: string; reason: string });
  assert.equal(letters.filter((l) => l.code === "E_POLICY_DENY").length, escalations);
  assert.equal(letters.filter((l) => l.code === "E_SCHEMA" && /not JSON/.test(l.reason)).length, 1);

  // The fix: invoice runs with the shipped policy again. Replay only the refused tasks.
  await agents.kill("invoice", "SIGTERM");
  await agents.start("invoice");
  const human = await run(process.execPath, [mesh, "dlq", "ls", "--flow", "invoice"], { env });
  assert.match(human.stdout, /E_POLICY_DENY/);
  for (const seq of (await readStream(bus, streamNames.dlq)).filter((m) => m.headers["Mesh-Error-Code"] === "E_POLICY_DENY").map((m) => m.seq)) {
    const replayed = await run(process.execPath, [mesh, "dlq", "replay", "--seq", String(seq), "--json"], { env });
    assert.deepEqual(JSON.parse(replayed.stdout), { replayed: [seq], failed: [] });
  }
  const done = await waitFor("every invoice has an outcome", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  });
  assert.equal(done.escalated, escalations);
  assert.equal(done.total, events.length);
  const left = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") });
  assert.equal(left.length, 1, "only the line that is not JSON stays dead-lettered");
});
