import { join } from "node:path";
import { MeshError } from "../shared/errors/index.js";
import { freePort, startLocalNats, type LocalNats } from "./local-nats.js";
import { startRouteProxy, type RouteProxy } from "./route-proxy.js";

export interface ClusterNode {
  /** The nats-server `server_name`, as stream info names a leader. */
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The running server, or undefined while it is down. */
  readonly server: LocalNats | undefined;
  /** Ends the process with `signal` (SIGKILL: a crash, nothing flushed) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports with the same store, as after a crash or a reboot. */
  start(): Promise<void>;
}

export interface LocalCluster {
  /** Every node's client URL, comma separated: what NATS_URL is set to, so clients fail over by themselves. */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  node(name: string): ClusterNode;
  /** Cuts every route to and from `name` (its clients keep their connections: a network split, not a crash). */
  partition(name: string): void;
  /** Reconnects every cut route; the servers re-establish them by themselves. */
  heal(): void;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Each node's store, config and log go under `<dataDir>/<node name>/`. */
  readonly dataDir: string;
  readonly size?: number;
  /** Extra config for every node (the authorization block of the mesh). */
  readonly extraConfig?: string;
}

/** Waits for the node's /healthz: JetStream is up and in contact with a meta leader (a client's first request works). */
async function jetStreamReady(name: string, monitorPort: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`);
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new MeshError("E_CONFIG", `cluster node ${name}: JetStream not ready within ${timeoutMs / 1000} s (${last})`);
}

/**
 * A JetStream cluster on loopback (3 nodes by default), each node's routes to its peers through a relay it can
 * cut, so a partition needs neither root nor network namespaces. Streams declared with 3 replicas live on every node.
 */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  // A free port can be taken by another process between our probe and the server's bind: new ports, once more.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(attempt === 1 ? opts : { ...opts, dataDir: join(opts.dataDir, `retry-${attempt}`) });
    } catch (err) {
      if (attempt === 3 || !/exited with code/.test(String(err))) throw err;
    }
  }
}

async function startOnFreePorts(opts: LocalClusterOptions): Promise<LocalCluster> {
  const size = opts.size ?? 3;
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const ports = await Promise.all(names.map(async () => ({ client: await freePort(), route: await freePort(), monitor: await freePort() })));
  // One relay per ordered pair: cutting the ones that touch a node isolates it and leaves the others linked.
  const proxies = new Map<string, RouteProxy>();
  for (const [i, from] of names.entries()) {
    for (const [j, to] of names.entries()) if (i !== j) proxies.set(`${from}>${to}`, await startRouteProxy({ port: ports[j]!.route }));
  }
  const config = (i: number) =>
    [
      `server_name: ${names[i]}`,
      `http: "127.0.0.1:${ports[i]!.monitor}"`,
      "cluster {",
      "  name: mesh",
      `  listen: "127.0.0.1:${ports[i]!.route}"`,
      // Peers learn each other's route address by gossip and dial it directly, past the relays; an address where
      // nothing listens keeps every route on the relays (gossiped routes are tried once, configured ones forever).
      `  advertise: "127.0.0.1:1"`,
      `  routes: [${names.flatMap((to, j) => (j === i ? [] : [`"nats-route://127.0.0.1:${proxies.get(`${names[i]}>${to}`)!.port}"`])).join(", ")}]`,
      "}",
      opts.extraConfig ?? "",
    ].join("\n");
  const nodes = names.map((name, i): ClusterNode => {
    const dataDir = join(opts.dataDir, name);
    let server: LocalNats | undefined;
    const node = {
      name,
      port: ports[i]!.client,
      url: `nats://127.0.0.1:${ports[i]!.client}`,
      get server() {
        return server;
      },
      async kill(signal: NodeJS.Signals = "SIGKILL") {
        const s = server;
        if (!s) return;
        server = undefined;
        if (s.process.exitCode !== null || s.process.signalCode !== null) return;
        const exited = new Promise((resolve) => s.process.once("exit", resolve));
        s.process.kill(signal);
        await exited;
      },
      async start() {
        server ??= await startLocalNats({ dataDir, port: ports[i]!.client, logFile: join(dataDir, "nats.log"), extraConfig: config(i) });
        await jetStreamReady(name, ports[i]!.monitor);
      },
    };
    return node;
  });
  const stopAll = async () => {
    await Promise.allSettled(nodes.map(async (n) => (await n.server?.stop(), n.kill())));
    await Promise.allSettled([...proxies.values()].map((p) => p.close()));
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const node = (name: string) => {
    const found = nodes.find((n) => n.name === name);
    if (!found) throw new Error(`cluster node "${name}": there are ${names.join(", ")}`);
    return found;
  };
  return {
    url: nodes.map((n) => n.url).join(","),
    nodes,
    node,
    partition(name) {
      node(name);
      for (const [pair, proxy] of proxies) if (pair.split(">").includes(name)) proxy.cut();
    },
    heal() {
      for (const proxy of proxies.values()) proxy.heal();
    },
    stop: stopAll,
  };
}
