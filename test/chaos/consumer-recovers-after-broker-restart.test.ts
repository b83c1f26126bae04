import assert from "node:assert/strict";
import { test } from "node:test";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { loadAgentConfig, loadAgentDefinition } from "../../shared/runtime/index.js";
import { declareAgentTopology } from "../../shared/runtime/mesh-topology.js";
import { testDataKeysJson } from "../helpers/data-keys.js";
import { restartNats, startNats } from "../helpers/nats.js";
import { fastDelivery, startAgents } from "../helpers/mesh.js";
import { consumerSettled, outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { httpGet } from "../helpers/http.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";

const concurrency = 4;

/** The largest mesh_consumer_stalled_seconds an agent reports (over its consumers). */
const stalled = (metrics: string) => Math.max(0, ...[...metrics.matchAll(/^mesh_consumer_stalled_seconds\{[^}]*\} ([\d.e+-]+)$/gm)].map((m) => Number(m[1])));

test("work resumes within 10 s of a restarted broker listening again (about 1 s measured, so 9 s of margin), readiness and mesh_consumer_stalled_seconds show the gap, every invoice has one outcome", { timeout: 300_000 }, async (t) => {
  const nats = await startNats(t);
  // Low concurrency keeps the run long enough to restart the broker while work is in flight.
  const mesh = await startAgents(t, nats, ["ingest", "invoice"], { CONCURRENCY: String(concurrency) });
  const port = mesh.get("invoice").httpPort;
  const agentPorts = [mesh.get("ingest").httpPort, port];
  const bus = await nats.connect();
  const events = invoiceEvents(600, { system: "erp-restart" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `restart-${i}` })));

  const before = await waitFor("some progress before the restart", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= 60 && o.total;
  }, { timeoutMs: 120_000 });

  await restartNats(t, nats, async () => {
    await waitFor("invoice's /readyz to turn non-200 while the broker is down", async () => (await httpGet(port, "/readyz")).code !== 200, { timeoutMs: 15_000 });
    // Mid-run the backlog is somewhere in the pipeline: before ingest or between ingest and invoice.
    await waitFor("mesh_consumer_stalled_seconds above 0 on an agent with work waiting while the broker is down", async () => {
      const [a, b] = await Promise.all(agentPorts.map(async (p) => stalled((await httpGet(p, "/metrics")).text)));
      return Math.max(a!, b!) > 0;
    }, { timeoutMs: 30_000, describe: () => mesh.logs("invoice").slice(-1500) });
  });
  const backAt = Date.now();
  assert.ok(before < events.length, `the restart happened mid-run (${before} of ${events.length} done)`);

  // The agent may hold up to `concurrency` tasks taken before the restart plus one pulled batch; the result after
  // those can only come from a pull made once the broker was back.
  const resumed = await waitFor("a task pulled after the restart to complete", async () => {
    const after = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("invoice") }).catch(() => [])).filter((m) => m.time.getTime() >= backAt);
    return after.length > 2 * concurrency && after.sort((a, b) => a.time.getTime() - b.time.getTime())[2 * concurrency]!.time.getTime();
  }, { timeoutMs: 60_000, describe: () => mesh.logs("invoice").slice(-2000) });
  const recoveryMs = resumed - backAt;
  t.diagnostic(`work resumed ${(recoveryMs / 1000).toFixed(2)} s after the broker listened again`);
  assert.ok(recoveryMs <= 10_000, `work resumed ${recoveryMs} ms after the broker came back (limit 10 s)`);

  await waitFor("invoice's /readyz 200 again", async () => (await httpGet(port, "/readyz")).code === 200, { timeoutMs: 15_000 });
  await waitFor("mesh_consumer_stalled_seconds back to 0 on both agents", async () => {
    const values = await Promise.all(agentPorts.map(async (p) => stalled((await httpGet(p, "/metrics")).text)));
    return values.every((v) => v === 0);
  }, { timeoutMs: 15_000 });
  assert.match(mesh.logs("invoice"), /consumer pull is not live/);
  assert.match(mesh.logs("invoice"), /consumer pull is live again/);

  await waitFor("600 outcomes", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= events.length && o;
  }, { timeoutMs: 180_000, describe: async () => `have ${(await outcomes(bus, "invoice")).total}` });
  // Nothing pending or unacknowledged: no redelivery can still add an outcome.
  await consumerSettled(bus, streamNames.task, "invoice");
  const settled = await outcomes(bus, "invoice");
  assert.equal(settled.counts.size, events.length);
  assert.deepEqual([...settled.counts.values()].filter((n) => n !== 1), [], "every invoice has exactly one outcome");
});

// Without a disconnect nothing tells nats.js its pull is gone but missing heartbeats; then it looks the consumer up
// again every `expires` (with jitter). Its defaults took 30 s to notice and retried every 15–45 s: this is the stall.
test("work resumes within 10 s of the operator recreating a deleted consumer (worst case about 8 s: nats.js retries the lookup every 2.5–7.5 s; 2.8–6.9 s measured), readiness shows the gap, every invoice has one outcome", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const env = { CONCURRENCY: String(concurrency) };
  const mesh = await startAgents(t, nats, ["ingest", "invoice"], env);
  const port = mesh.get("invoice").httpPort;
  const operator = await nats.connect("operator");
  await operator.jsm.consumers.delete(streamNames.task, "invoice");
  await waitFor("invoice's /readyz to turn non-200", async () => (await httpGet(port, "/readyz")).code !== 200, { timeoutMs: 30_000 });
  // The agent is in nats.js's lookup loop: heartbeats were missed and CONSUMER.INFO said the consumer is gone.
  await waitFor("the agent to log the consumer as not found", async () => /"reason":"consumer_not_found"/.test(mesh.logs("invoice")), {
    timeoutMs: 30_000,
    describe: () => mesh.logs("invoice").split("\n").filter((l) => /pull|consumer/.test(l)).slice(-8).join("\n"),
  });

  const events = invoiceEvents(50, { system: "erp-recreate" });
  await Promise.all(events.map((e, i) => publish(operator, subjects.inbound("invoice"), e, { msgId: `recreate-${i}` })));
  const agentEnv = { NATS_URL: nats.url, MESH_DATA_KEYS: testDataKeysJson, ...fastDelivery, MESH_IDENTITY_SEED: mesh.seed("invoice"), ...env, AGENT: "invoice" };
  await declareAgentTopology(operator, await loadAgentDefinition("invoice"), loadAgentConfig(agentEnv));
  const recreatedAt = Date.now();

  const first = await waitFor("the first invoice result", async () => {
    const results = await readStream(operator, streamNames.result, { filterSubject: subjects.result("invoice") });
    return results.length > 0 && Math.min(...results.map((m) => m.time.getTime()));
  }, { timeoutMs: 60_000, describe: () => mesh.logs("invoice").slice(-2000) });
  const recoveryMs = first - recreatedAt;
  t.diagnostic(`work resumed ${(recoveryMs / 1000).toFixed(2)} s after the consumer was recreated`);
  assert.ok(recoveryMs <= 10_000, `work resumed ${recoveryMs} ms after the consumer was recreated (limit 10 s)`);

  await waitFor("invoice's /readyz 200 again", async () => (await httpGet(port, "/readyz")).code === 200, { timeoutMs: 15_000 });
  await waitFor("50 outcomes", async () => (await outcomes(operator, "invoice")).total >= events.length, { timeoutMs: 60_000 });
  await consumerSettled(operator, streamNames.task, "invoice");
  const settled = await outcomes(operator, "invoice");
  assert.equal(settled.counts.size, events.length);
  assert.deepEqual([...settled.counts.values()].filter((n) => n !== 1), [], "every invoice has exactly one outcome");
});
