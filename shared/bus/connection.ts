import { connect, nkeyAuthenticator, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from "nats";

export interface BusOptions {
  /** Comma separated or list; e.g. nats://127.0.0.1:4222 */
  readonly servers: string | readonly string[];
  readonly name: string;
  readonly user?: string;
  readonly pass?: string;
  /** An nkey user seed (SU...): the client signs the server's nonce with it (nkey authentication). */
  readonly seed?: string;
  /**
   * Where replies to this client's requests arrive (default `_INBOX`). Each broker identity gets its own
   * prefix and may subscribe only under it, so no identity can read another's replies.
   */
  readonly inboxPrefix?: string;
  /** How long the first connection may take before it fails (ms); the default suits a broker on loopback. */
  readonly timeoutMs?: number;
  /** Keep reconnecting after the first connection is lost (agents); a one-off probe says false. */
  readonly reconnect?: boolean;
}

declare const busBrand: unique symbol;

/**
 * A connection to the mesh's broker as everything outside shared/bus holds it: something to hand to the bus's typed
 * operations (publish, readStream, openStateStore...) and to close. The NATS client handles behind it stay in this
 * folder (raw-bus.ts), so no agent, CLI command or library reaches the broker around those operations.
 */
export interface Bus {
  close(): Promise<void>;
  readonly [busBrand]: true;
}

/** The client handles behind a Bus: shared/bus's own modules use them, through rawBus (raw-bus.ts). */
export interface RawBus extends Bus {
  readonly nc: NatsConnection;
  /** Where this connection's replies arrive (`_INBOX` unless BusOptions named one): the only replies it may subscribe to. */
  readonly inboxPrefix: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

export async function connectBus(opts: BusOptions): Promise<Bus> {
  const servers = typeof opts.servers === "string" ? opts.servers.split(",").map((s) => s.trim()) : [...opts.servers];
  const connectOpts: ConnectionOptions = {
    servers,
    name: opts.name,
    // Agents outlive broker restarts and cluster failovers: keep reconnecting rather than crash.
    maxReconnectAttempts: opts.reconnect === false ? 0 : -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    // nats.js otherwise builds an Error with a stack trace for every request it sends, in case it fails: a fifth
    // of an agent's CPU at load. A failed request still says what failed; only the caller's stack is not kept.
    noAsyncTraces: true,
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
    ...(opts.seed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(opts.seed)) } : {}),
    ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
  };
  const nc = await connect(connectOpts);
  // Connecting never changes topology: the operator declares it (declareTopology, `mesh init`).
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const raw: Omit<RawBus, typeof busBrand> = {
    nc,
    inboxPrefix: opts.inboxPrefix ?? "_INBOX",
    js,
    jsm,
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
  };
  // The brand is a type only: it keeps any object with a close() from passing for a connection.
  return raw as RawBus;
}
