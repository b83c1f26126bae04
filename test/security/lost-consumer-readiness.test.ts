import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { spawnAgent, waitReady } from "../../cli/agent-process.js";
import { freePort } from "../../cli/local-nats.js";
import { streamNames } from "../../shared/bus/index.js";
import { startAgents } from "../helpers/mesh.js";
import { startSecureNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";
import { httpGet } from "../helpers/http.js";
import { readFileSync } from "node:fs";

test("an agent whose consumer the operator has not created refuses to start and names mesh init", { timeout: 120_000 }, async (t) => {
  const nats = await startSecureNats(t, ["invoice"]);
  const log = join(nats.dir, "invoice.log");
  const agent = spawnAgent("invoice", { NATS_URL: nats.url, MESH_IDENTITY_SEED: nats.identities!.agents.invoice! }, await freePort(), log);
  t.after(() => {
    if (agent.child.exitCode === null) agent.child.kill("SIGKILL");
  });
  await assert.rejects(waitReady(agent), /exited/);
  assert.match(readFileSync(log, "utf8"), /MESH_TASK\/invoice\b.*does not exist.*mesh init/);
});

test("after the operator deletes an agent's consumer, its /readyz turns 503 and mesh_consumer_present drops to 0", { timeout: 120_000 }, async (t) => {
  const nats = await startSecureNats(t, ["invoice"]);
  const mesh = await startAgents(t, nats, ["invoice"], { CONSUMER_CHECK_MS: "250" });
  const port = mesh.get("invoice").httpPort;
  const present = /mesh_consumer_present\{stream="MESH_TASK",consumer="invoice"\} (\d)/;
  assert.equal((await httpGet(port, "/readyz")).code, 200);
  assert.equal(present.exec((await httpGet(port, "/metrics")).text)?.[1], "1");

  const operator = await nats.connect("operator");
  await operator.jsm.consumers.delete(streamNames.task, "invoice");
  await waitFor("invoice's /readyz to turn non-200", async () => (await httpGet(port, "/readyz")).code === 503, {
    timeoutMs: 30_000,
    describe: () => mesh.logs("invoice").slice(-1500),
  });
  // The pull notices first (readiness), the consumer check a moment later (the gauge).
  await waitFor("mesh_consumer_present to drop to 0", async () => present.exec((await httpGet(port, "/metrics")).text)?.[1] === "0", { timeoutMs: 10_000 });
  assert.match(mesh.logs("invoice"), /durable consumer is gone from the broker/);
  assert.equal(mesh.get("invoice").child.exitCode, null, "the agent keeps running and reports; it does not (and may not) recreate the consumer");
});
