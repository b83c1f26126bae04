/**
 * The broker a mesh bench runs on, with the mesh up on it as `mesh up` brings it up: one nats-server that `mesh up`
 * starts itself, or a 3-node JetStream cluster (cli/local-cluster.ts) with every stream and bucket at 3 replicas,
 * which `mesh up` then uses as it would any production broker (NATS_URL, the operator's NATS_NKEY_SEED), with the
 * same nkey identities and rendered permissions as its own broker would have.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startMesh, type RunningMesh } from "../../cli/commands/up.js";
import { brokerAuthorization, meshIdentities } from "../../cli/broker-identities.js";
import { startLocalCluster, type LocalCluster } from "../../cli/local-cluster.js";
import { freePort } from "../../cli/local-nats.js";
import { readAgentSeeds, writeAgentSeeds } from "../../cli/local-state.js";
import { defaultPolicyPath, parsePolicyDocument } from "../../policy/index.js";
import { loadAgentDefinition } from "../../shared/runtime/index.js";

export interface BenchBroker {
  readonly mesh: RunningMesh;
  /** The operator's seed: unrestricted on this broker (declares the raw baseline's streams, runs its stages). */
  readonly operatorSeed: string;
  /** Monitoring ports (/varz, /jsz) of every node. */
  readonly monitorPorts: readonly number[];
  /** Stream replicas the mesh declared (the raw baseline's streams get as many). */
  readonly replicas: number;
  /** Stops the mesh, then the broker. */
  stop(): Promise<void>;
}

const meshEnv = { LOG_LEVEL: "warn" };

export async function startBenchBroker(agents: readonly string[], dir: string, r3: boolean): Promise<BenchBroker> {
  if (!r3) {
    const monitorPort = await freePort();
    const mesh = await startMesh({ agents, ownNats: true, natsPort: await freePort(), monitorPort, env: meshEnv, log: () => undefined });
    return { mesh, operatorSeed: mesh.operatorSeed!, monitorPorts: [monitorPort], replicas: 1, stop: () => mesh.stop() };
  }
  // What `mesh up` renders for a broker it starts, here rendered for the cluster: the agents' seeds are saved where
  // `mesh up` reads them back (so it runs them as the identities the cluster knows), the operator's goes in NATS_NKEY_SEED.
  const defs = await Promise.all(agents.map((n) => loadAgentDefinition(n)));
  const doc = parsePolicyDocument(readFileSync(process.env.POLICY_FILE ?? defaultPolicyPath, "utf8"));
  const ids = meshIdentities(agents, readAgentSeeds());
  writeAgentSeeds({ ...readAgentSeeds(), ...ids.agents });
  const clusterDir = join(dir, "cluster");
  const cluster: LocalCluster = await startLocalCluster({ dataDir: clusterDir, extraConfig: brokerAuthorization(doc, defs, ids) });
  const saved = process.env.NATS_NKEY_SEED;
  process.env.NATS_NKEY_SEED = ids.operator;
  let mesh: RunningMesh;
  try {
    mesh = await startMesh({ agents, natsUrl: cluster.url, env: { ...meshEnv, STREAM_REPLICAS: "3" }, log: () => undefined });
  } catch (err) {
    await cluster.stop();
    throw err;
  } finally {
    if (saved === undefined) delete process.env.NATS_NKEY_SEED;
    else process.env.NATS_NKEY_SEED = saved;
  }
  return {
    mesh,
    operatorSeed: ids.operator,
    // Each node's config (written by cli/local-nats.ts under its data dir) names its monitoring port.
    monitorPorts: cluster.nodes.map((n) => monitorPortOf(join(clusterDir, n.name, "nats.conf"))),
    replicas: 3,
    async stop() {
      await mesh.stop();
      await cluster.stop();
    },
  };
}

function monitorPortOf(configPath: string): number {
  const port = Number(/^http: "127\.0\.0\.1:(\d+)"$/m.exec(readFileSync(configPath, "utf8"))?.[1]);
  if (!Number.isInteger(port)) throw new Error(`${configPath} names no monitoring port (http: "127.0.0.1:<port>")`);
  return port;
}
