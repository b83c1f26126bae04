import { connect, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from "nats";
import { ensureBuckets, ensureTopology, defaultTopologyOptions, type TopologyOptions } from "./topology.js";

export interface BusOptions {
  /** Comma separated or list; e.g. nats://127.0.0.1:4222 */
  readonly servers: string | readonly string[];
  readonly name: string;
  readonly user?: string;
  readonly pass?: string;
  readonly topology?: TopologyOptions;
  /** Skip declaring streams (clients that only publish, such as the CLI against a managed cluster). */
  readonly declareTopology?: boolean;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function connectBus(opts: BusOptions): Promise<Bus> {
  const servers = typeof opts.servers === "string" ? opts.servers.split(",").map((s) => s.trim()) : [...opts.servers];
  const connectOpts: ConnectionOptions = {
    servers,
    name: opts.name,
    // Agents outlive broker restarts and cluster failovers: keep reconnecting rather than crash.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
  };
  const nc = await connect(connectOpts);
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  if (opts.declareTopology !== false) {
    await ensureTopology(jsm, opts.topology ?? defaultTopologyOptions);
    await ensureBuckets(js, opts.topology ?? defaultTopologyOptions);
  }
  return {
    nc,
    js,
    jsm,
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
