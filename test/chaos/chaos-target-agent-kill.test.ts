import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ChaosReport } from "../../cli/chaos/run.js";
import { OPERATOR } from "../../policy/index.js";
import { readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { runMesh } from "../helpers/cli.js";
import { startAgents } from "../helpers/mesh.js";
import { startSecureNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

test("mesh chaos agent-kill --target against a running mesh: the operator's --fault SIGKILLs the invoice agent, --repair has it started again, 0 lost, 0 doubled, both audited as operator actions", { timeout: 150_000 }, async (t) => {
  const nats = await startSecureNats(t, ["ingest", "invoice"]);
  const mesh = await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const victim = mesh.get("invoice").child.pid!;
  // The repair asks the mesh's supervisor (here the test, as a Deployment's controller would) to start the agent.
  const restartRequest = join(nats.dir, "restart-invoice");
  const supervisor = (async () => {
    await waitFor("the repair command's restart request", async () => existsSync(restartRequest), { timeoutMs: 120_000 });
    await mesh.start("invoice");
  })();

  const run = await runMesh(
    nats.cliEnv(),
    "chaos", "agent-kill", "--target", "--fault", `kill -KILL ${victim}`, "--repair", `touch ${restartRequest}`, "--events", "60", "--down-ms", "2000", "--json",
  );
  await supervisor;
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const report = JSON.parse(run.stdout) as ChaosReport;
  t.diagnostic(`in ${report.in}, out ${report.out}, lost ${report.lost}, doubled ${report.doubled}, recover ${report.recoverMs} ms; ${report.fault.description}`);
  assert.deepEqual({ in: report.in, out: report.out, lost: report.lost, doubled: report.doubled, dlq: report.dlq }, { in: 60, out: 60, lost: 0, doubled: 0, dlq: 0 }, report.findings.join("\n"));
  assert.equal(mesh.get("invoice").child.pid !== victim, true, "the invoice agent running now is the restarted one");

  const records = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOf(OPERATOR) })).map(
    (m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { action?: string; outcome?: string; request?: { resource?: { endpoint?: string } }; detail?: { step?: string; what?: string } },
  );
  const faults = records.filter((r) => r.action === "mesh.fault").map((r) => ({ endpoint: r.request?.resource?.endpoint, step: r.detail?.step, what: r.detail?.what, outcome: r.outcome }));
  assert.deepEqual(report.audited, faults.map(({ step, what, outcome }) => ({ step, what, outcome })), "the report shows what the audit chain holds");
  assert.deepEqual(faults, [
    { endpoint: "chaos-inject", step: "inject", what: `kill -KILL ${victim}`, outcome: "done" },
    { endpoint: "chaos-repair", step: "repair", what: `touch ${restartRequest}`, outcome: "done" },
  ]);
});

test("mesh chaos --target refuses, as a usage error, a scenario whose fault needs the operator's command when --fault is missing", async () => {
  const missing = await runMesh({ ...process.env, NATS_URL: "nats://127.0.0.1:1" }, "chaos", "agent-kill", "--target");
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /agent-kill against a target mesh need --fault/);
  const stray = await runMesh(process.env, "chaos", "agent-kill", "--fault", "true");
  assert.equal(stray.code, 2, stray.stderr);
  assert.match(stray.stderr, /add --target/);
});
