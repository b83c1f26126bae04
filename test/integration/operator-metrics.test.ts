import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExposition } from "../../shared/telemetry/index.js";
import { startNats, restartNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { httpGet } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

test("an agent reports its build and its broker connection, and counts a reconnect after the broker restarts", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["invoice"]);
  const port = mesh.get("invoice").httpPort;
  const sample = async (name: string) => parseExposition((await httpGet(port, "/metrics")).text).find((s) => s.name === name);

  const build = await sample("mesh_build_info");
  assert.equal(build?.value, 1);
  // Started from source by the test helpers: the commit label says so rather than naming a build.
  assert.deepEqual({ agent: build?.labels.agent, commit: build?.labels.commit, node: build?.labels.node }, { agent: "invoice", commit: "source", node: process.versions.node });
  assert.equal((await sample("mesh_broker_connected"))?.value, 1);
  assert.equal((await sample("mesh_broker_reconnects_total"))?.value, 0);

  let seenDown = false;
  await restartNats(t, nats, async () => {
    seenDown = await waitFor("the agent to notice the broker is gone", async () => (await sample("mesh_broker_connected"))?.value === 0);
  });
  assert.ok(seenDown);
  await waitFor("the reconnect to be counted", async () => (await sample("mesh_broker_reconnects_total"))?.value === 1 && (await sample("mesh_broker_connected"))?.value === 1);
});
