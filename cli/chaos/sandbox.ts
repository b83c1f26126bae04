import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerIdentity } from "../../shared/bus/index.js";
import { startStandIn, type StandIn } from "../../shared/models/index.js";
import { loadAgentDefinition } from "../../shared/runtime/index.js";
import { defaultPolicyPath, loadPolicyFile } from "../../policy/index.js";
import { publicKeyOfSeed } from "../../policy/signing/index.js";
import { spawnAgent, waitReady, type AgentProcess } from "../agent-process.js";
import { brokerAuthorization, meshIdentities } from "../broker-identities.js";
import { connectCli, type BrokerTarget } from "../connect.js";
import { startLocalCluster, type LocalCluster } from "../local-cluster.js";
import { freePort, startLocalNats, type LocalNats, type LocalNatsOptions } from "../local-nats.js";
import { initMesh } from "../commands/init.js";

export interface SandboxOptions {
  readonly agents: readonly string[];
  /** One broker, or a 3-node cluster with every stream and bucket on 3 replicas. */
  readonly broker: "single" | "cluster";
  /** Settings for every agent (and the consumers the operator declares for them). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

/**
 * A mesh of its own for one chaos run, in a temp directory: a broker configured as `mesh up` renders it (each agent an
 * nkey identity limited to its grants), the topology declared by the operator, the LLM stand-in, each agent a process.
 * Faults are injected into these processes only: the run never touches a mesh it did not start.
 */
export interface Sandbox {
  readonly dir: string;
  /** Where and as whom the operator connects: the workload and the verdict go through it. */
  readonly operator: BrokerTarget;
  readonly cluster: LocalCluster | undefined;
  readonly standIn: StandIn;
  /** The running process of `name` (the most recently started). */
  agent(name: string): AgentProcess;
  startAgent(name: string): Promise<AgentProcess>;
  /** Sends `signal` to the agent's process; resolves when it has exited (SIGSTOP/SIGCONT resolve at once). */
  signalAgent(name: string, signal: NodeJS.Signals): Promise<void>;
  /** Stops the single broker, as a crash or an operator restart would. */
  stopBroker(): Promise<void>;
  /** Starts the stopped broker again on the same port and store: clients reconnect by themselves. */
  startBroker(): Promise<void>;
  /** Every agent's log, for a failed run's diagnosis. */
  logs(name: string): string;
  stop(): Promise<void>;
}

/** Delivery settings that let a crash show its cost within seconds rather than the 30 s production ack wait. */
export const chaosDelivery = { ACK_WAIT_MS: "3000", BACKOFF_BASE_MS: "200", BACKOFF_MAX_MS: "2000", LOG_LEVEL: "info" } as const;

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "mesh-chaos-"));
  const doc = loadPolicyFile(defaultPolicyPath).document;
  const defs = await Promise.all(opts.agents.map((a) => loadAgentDefinition(a)));
  const ids = meshIdentities(opts.agents, {});
  const authorization = brokerAuthorization(doc, defs, ids);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let single: LocalNats | undefined;
    let singleOpts: LocalNatsOptions | undefined;
    let cluster: LocalCluster | undefined;
    let url: string;
    if (opts.broker === "cluster") {
      cluster = await startLocalCluster({ dataDir: join(dir, "cluster"), extraConfig: authorization });
      cleanups.push(() => cluster!.stop());
      url = cluster.url;
      log(`3-node nats-server cluster at ${url} (routes through relays that can cut them)`);
    } else {
      singleOpts = { dataDir: join(dir, "nats"), port: await freePort(), logFile: join(dir, "nats.log"), extraConfig: authorization };
      single = await startLocalNats(singleOpts);
      cleanups.push(() => single!.stop());
      url = single.url;
      log(`nats-server at ${url}`);
    }
    const operator: BrokerTarget = { url, identity: { auth: { seed: ids.operator }, describe: `the run's operator nkey ${publicKeyOfSeed(ids.operator).slice(0, 10)}…` } };
    const standIn = await startStandIn({ port: 0 });
    cleanups.push(() => standIn.close());
    const env: Record<string, string> = {
      ...chaosDelivery,
      STREAM_REPLICAS: opts.broker === "cluster" ? "3" : "1",
      MESH_DATA_KEYS: JSON.stringify({ eu: { active: "k1", keys: { k1: randomBytes(32).toString("base64") } } }),
      MODEL_ENDPOINTS: JSON.stringify([{ name: "stand-in", baseUrl: standIn.url, apiKey: "stand-in", model: "stand-in-large", region: "eu", priceUsdPer1kInputTokens: 0.00015, priceUsdPer1kOutputTokens: 0.0006 }]),
      ...opts.env,
    };
    const bus = await connectCli("chaos-init", operator);
    try {
      await initMesh(bus, opts.agents, { ...process.env, ...env });
      for (const [name, seed] of Object.entries(ids.agents)) await registerIdentity(bus, { publicKey: publicKeyOfSeed(seed), name, kind: "agent" });
      await registerIdentity(bus, { publicKey: publicKeyOfSeed(ids.operator), name: "operator", kind: "operator" });
    } finally {
      await bus.close();
    }
    const running = new Map<string, AgentProcess>();
    const logFile = (name: string) => join(dir, `${name}.log`);
    cleanups.push(async () => {
      await Promise.allSettled(
        [...running.values()].map(async (a) => {
          if (a.child.exitCode !== null || a.child.signalCode !== null) return;
          a.child.kill("SIGCONT");
          a.child.kill("SIGTERM");
          const timer = setTimeout(() => a.child.kill("SIGKILL"), 10_000);
          await a.exited;
          clearTimeout(timer);
        }),
      );
    });
    const sandbox: Sandbox = {
      dir,
      operator,
      cluster,
      standIn,
      agent(name) {
        const a = running.get(name);
        if (!a) throw new Error(`agent ${name} is not part of this run (${[...running.keys()].join(", ")})`);
        return a;
      },
      async startAgent(name) {
        // Blank operator credentials from this process's environment: the agent is its own identity.
        const identity = { MESH_IDENTITY_SEED: ids.agents[name]!, NATS_NKEY_SEED: "", NATS_USER: "", NATS_PASS: "" };
        const agent = spawnAgent(name, { NATS_URL: url, ...env, ...identity }, await freePort(), logFile(name));
        running.set(name, agent);
        try {
          await waitReady(agent);
        } catch (err) {
          throw new Error(`${(err as Error).message}\n${sandbox.logs(name).slice(-2000)}`);
        }
        return agent;
      },
      async signalAgent(name, signal) {
        const agent = sandbox.agent(name);
        agent.child.kill(signal);
        if (signal !== "SIGSTOP" && signal !== "SIGCONT") await agent.exited;
      },
      async stopBroker() {
        if (!single) throw new Error("stopBroker: this run's broker is a cluster; kill a node instead");
        await single.stop();
      },
      async startBroker() {
        if (!singleOpts) throw new Error("startBroker: this run's broker is a cluster; start a node instead");
        single = await startLocalNats(singleOpts);
      },
      logs(name) {
        try {
          return readFileSync(logFile(name), "utf8");
        } catch {
          return "";
        }
      },
      stop,
    };
    for (const name of opts.agents) await sandbox.startAgent(name);
    return sandbox;
  } catch (err) {
    await stop();
    throw err;
  }
}
