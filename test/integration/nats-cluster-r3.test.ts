import assert from "node:assert/strict";
import { test } from "node:test";
import { buckets, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import type { RawBus as Bus } from "../../shared/bus/connection.js";
import { startNatsCluster } from "../helpers/nats-cluster.js";
import { waitFor } from "../helpers/wait.js";

/** The task stream's cluster info, or undefined while no node answers for it (an election, a failover). */
async function taskCluster(bus: Bus) {
  try {
    const jsm = await bus.nc.jetstreamManager({ timeout: 500 });
    return (await jsm.streams.info(streamNames.task)).cluster;
  } catch {
    return undefined;
  }
}

test("on the 3-node cluster every stream and shared bucket is declared with 3 replicas", { timeout: 60_000 }, async (t) => {
  const { connect } = await startNatsCluster(t);
  const bus = await connect();
  for (const name of [...Object.values(streamNames), `KV_${buckets.seen}`, `KV_${buckets.identities}`]) {
    assert.equal((await bus.jsm.streams.info(name)).config.num_replicas, 3, name);
  }
});

test("a message stored before the task stream's leader is killed is still there after a new leader is elected", { timeout: 60_000 }, async (t) => {
  const { cluster, connect } = await startNatsCluster(t);
  const bus = await connect();
  await publish(bus, subjects.task("invoice", "ingested"), { before: true }, { msgId: "before-kill" });
  const leader = (await bus.jsm.streams.info(streamNames.task)).cluster!.leader!;
  await cluster.node(leader).kill("SIGKILL");
  await waitFor("a new task stream leader", async () => {
    const now = await taskCluster(bus);
    return Boolean(now?.leader) && now!.leader !== leader;
  }, { timeoutMs: 30_000 });
  // The client may still be failing over from the killed node: the read is retried until it answers.
  const stored = await waitFor("the task stream readable again", () => readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") }).catch(() => undefined), { timeoutMs: 30_000 });
  assert.equal(stored.length, 1);
});

test("a partitioned node loses its routes while it is cut off and gets them back when healed", { timeout: 60_000 }, async (t) => {
  const { cluster, connect } = await startNatsCluster(t);
  const bus = await connect();
  const leader = (await bus.jsm.streams.info(streamNames.task)).cluster!.leader!;
  // A client of the cut-off node stays connected to it and hears nothing from the others: watch from another node.
  const observer = await connect("observer", cluster.nodes.find((n) => n.name !== leader)!.url);
  cluster.partition(leader);
  const others = () => taskCluster(observer);
  await waitFor("the others to elect a leader without the cut-off node", async () => {
    const c = await others();
    return Boolean(c?.leader) && c!.leader !== leader;
  }, { timeoutMs: 40_000 });
  cluster.heal();
  await waitFor("the healed node current again", async () => {
    const c = await others();
    return c?.replicas?.some((r) => r.name === leader && r.current) === true;
  }, { timeoutMs: 40_000 });
});
