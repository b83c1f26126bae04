import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { spawnAgent, waitReady, type AgentProcess } from "../../cli/agent-process.js";
import { freePort } from "../../cli/local-nats.js";
import { registerIdentity, type Bus } from "../../shared/bus/index.js";
import { createSigningKey, publicKeyOfSeed } from "../../policy/signing/index.js";
import { loadAgentConfig, loadAgentDefinition } from "../../shared/runtime/index.js";
import { declareAgentTopology } from "../../shared/runtime/mesh-topology.js";
import { testDataKeysJson } from "./data-keys.js";
import type { TestNats } from "./nats.js";

export interface TestMesh {
  /** Starts one more process of `name` (replicas share the agent's durable consumer). */
  start(name: string, env?: Record<string, string>): Promise<AgentProcess>;
  kill(name: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The most recently started process of `name`. */
  get(name: string): AgentProcess;
  /** The agent's combined stdout/stderr so far (for assertions on logs and for failure messages). */
  logs(name: string): string;
  /** The agent's identity seed (MESH_IDENTITY_SEED), registered in mesh_identities as `mesh up` does. */
  seed(name: string): string;
}

/** Test defaults: short ack wait and backoff so redelivery after a crash happens within seconds. */
export const fastDelivery = {
  ACK_WAIT_MS: "2000",
  BACKOFF_BASE_MS: "200",
  BACKOFF_MAX_MS: "2000",
  LOG_LEVEL: "info",
};

/**
 * Each agent as its own process (the production entry point), stopped with the test. Like `mesh init`, the test's
 * operator connection first declares the agent's consumers, with the settings the agent's own environment gives.
 * On a broker that enforces identities (startSecureNats) each agent runs under its own seed.
 */
export async function startAgents(t: TestContext, nats: TestNats, names: string[], env: Record<string, string> = {}): Promise<TestMesh> {
  const running = new Map<string, AgentProcess[]>();
  const all: AgentProcess[] = [];
  const logFile = (name: string) => join(nats.dir, `${name}.log`);
  // One identity per agent name, shared by its replicas: the secure broker's, or one registered here as the operator would.
  const seeds = new Map<string, string>(Object.entries(nats.identities?.agents ?? {}));
  let operatorBus: Promise<Bus> | undefined;
  const operator = () => (operatorBus ??= nats.connect("operator"));
  const identity = async (name: string): Promise<string> => {
    let seed = seeds.get(name);
    if (!seed) {
      seeds.set(name, (seed = createSigningKey().seed));
      await registerIdentity(await operator(), { publicKey: publicKeyOfSeed(seed), name, kind: "agent" });
    }
    return seed;
  };
  const mesh: TestMesh = {
    async start(name, extra = {}) {
      const agentEnv = { NATS_URL: nats.url, MESH_DATA_KEYS: testDataKeysJson, ...fastDelivery, MESH_IDENTITY_SEED: await identity(name), ...env, ...extra };
      await declareAgentTopology(await operator(), await loadAgentDefinition(name), loadAgentConfig({ ...agentEnv, AGENT: name }));
      const agent = spawnAgent(name, agentEnv, await freePort(), logFile(name));
      running.set(name, [...(running.get(name) ?? []), agent]);
      all.push(agent);
      try {
        await waitReady(agent);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${mesh.logs(name).slice(-3000)}`);
      }
      return agent;
    },
    async kill(name, signal = "SIGKILL") {
      const agent = mesh.get(name);
      agent.child.kill(signal);
      return agent.exited;
    },
    get(name) {
      const agent = running.get(name)?.at(-1);
      if (!agent) throw new Error(`agent ${name} was not started`);
      return agent;
    },
    seed(name) {
      const seed = seeds.get(name);
      if (!seed) throw new Error(`agent ${name} was not started`);
      return seed;
    },
    logs(name) {
      try {
        return readFileSync(logFile(name), "utf8");
      } catch {
        return "";
      }
    },
  };
  t.after(async () => {
    await Promise.allSettled(
      all.map(async (a) => {
        if (a.child.exitCode === null && a.child.signalCode === null) {
          a.child.kill("SIGTERM");
          const timer = setTimeout(() => a.child.kill("SIGKILL"), 15_000);
          await a.exited;
          clearTimeout(timer);
        }
      }),
    );
  });
  // As `mesh up` does: the approvers the agents trust are registered, so `mesh policy push` can check a signer.
  for (const publicKey of (env.MESH_POLICY_APPROVERS ?? "").split(",").filter(Boolean)) {
    await registerIdentity(await operator(), { publicKey, name: "approver", kind: "approver" });
  }
  for (const name of names) await mesh.start(name);
  return mesh;
}
