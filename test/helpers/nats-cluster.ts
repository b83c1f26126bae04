import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { startLocalCluster, type LocalCluster } from "../../cli/local-cluster.js";
import { connectBus, declareTopology, defaultTopologyOptions, streamNames } from "../../shared/bus/index.js";
import type { RawBus } from "../../shared/bus/connection.js";
import { rawBus } from "../../shared/bus/raw-bus.js";
import { waitFor } from "./wait.js";

export interface TestCluster {
  readonly cluster: LocalCluster;
  /** Every node's URL, comma separated (NATS_URL for agents: they fail over by themselves). */
  readonly url: string;
  /** A bus as the operator (to every node, or to `servers` only), closed with the test. */
  connect(name?: string, servers?: string): Promise<RawBus>;
}

/**
 * Beside startNats: a 3-node JetStream cluster on free loopback ports with temp stores, every stream and shared
 * bucket declared with 3 replicas as `mesh init` does with STREAM_REPLICAS=3, each stream led and followed. Stopped and removed by `t`.
 */
export async function startNatsCluster(t: TestContext): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-cluster-"));
  const cluster = await startLocalCluster({ dataDir: dir });
  const buses: RawBus[] = [];
  t.after(async () => {
    await Promise.allSettled(buses.map((b) => b.nc.close()));
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const connect = async (name = "test", servers = cluster.url) => {
    const bus = rawBus(await connectBus({ servers, name }));
    buses.push(bus);
    return bus;
  };
  const operator = await connect("operator");
  await declareTopology(operator, { ...defaultTopologyOptions, replicas: 3 });
  // Declared is not yet placed: each stream elects its leader and its followers catch up on their own.
  for (const name of Object.values(streamNames)) {
    await waitFor(`${name} to have a leader and two current followers`, async () => {
      const c = (await operator.jsm.streams.info(name).catch(() => undefined))?.cluster;
      return Boolean(c?.leader) && c?.replicas?.length === 2 && c.replicas.every((r) => r.current);
    }, { timeoutMs: 30_000 });
  }
  return { cluster, url: cluster.url, connect };
}
