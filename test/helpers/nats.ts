import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { startLocalNats, type LocalNats } from "../../cli/local-nats.js";
import { brokerAuthorization, meshIdentities, type MeshIdentities } from "../../cli/broker-identities.js";
import { connectBus, declareTopology, registerIdentity } from "../../shared/bus/index.js";
import type { RawBus } from "../../shared/bus/connection.js";
import { rawBus } from "../../shared/bus/raw-bus.js";
import type { BusOptions } from "../../shared/bus/index.js";
import { listAgents, loadAgentDefinition } from "../../shared/runtime/index.js";
import { defaultPolicyPath, loadPolicyFile } from "../../policy/index.js";
import { publicKeyOfSeed } from "../../policy/signing/index.js";

export interface TestNats extends LocalNats {
  readonly dir: string;
  /** Seeds of the agents and the operator when the broker enforces identities (startSecureNats). */
  readonly identities: MeshIdentities | undefined;
  /** A connected bus as the operator (streams and buckets are declared at start), with its client handles: a test
   *  reads the broker as an outside client would. Closed with the test. */
  connect(name?: string): Promise<RawBus>;
  /** Environment for running the `mesh` CLI against this broker as the operator. */
  cliEnv(): NodeJS.ProcessEnv;
}

/**
 * A real nats-server with JetStream on a free loopback port and a temp store, stopped and removed by `t`. The
 * test's own connections play the operator: the streams and shared buckets exist when this resolves.
 */
export async function startNats(t: TestContext, opts: { extraConfig?: string; identities?: MeshIdentities } = {}): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-nats-"));
  const nats = await startLocalNats({ dataDir: dir, logFile: join(dir, "nats.log"), ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}) });
  const buses: RawBus[] = [];
  t.after(async () => {
    // A plain close: a drain would wait for a broker that may already be gone.
    await Promise.allSettled(buses.map((b) => b.nc.close()));
    await nats.stop();
    const refused = agentRefusals(join(dir, "nats.log"));
    rmSync(dir, { recursive: true, force: true });
    if (refused.length) throw new Error(`the broker refused agents (a gap in their footprint or grants):\n${refused.slice(0, 10).join("\n")}`);
  });
  const test: TestNats = {
    ...nats,
    dir,
    identities: opts.identities,
    async connect(name = "test") {
      const bus = rawBus(await connectBus({ servers: nats.url, name, ...(opts.identities ? { seed: opts.identities.operator } : {}) }));
      buses.push(bus);
      return bus;
    },
    cliEnv: () => ({ ...process.env, NATS_URL: nats.url, ...(opts.identities ? { NATS_NKEY_SEED: opts.identities.operator } : {}) }),
  };
  await declareTopology(await test.connect("operator"));
  return test;
}

/** Permission violations of agent processes (connections named `<agent>@<instance>`), from the broker's log. */
function agentRefusals(logFile: string): string[] {
  try {
    return readFileSync(logFile, "utf8").split("\n").filter((l) => /Violation/.test(l) && /nats\.js:[a-z][a-z0-9-]*@/.test(l));
  } catch {
    return [];
  }
}

/**
 * A broker configured exactly as `mesh up` renders it: every agent (or `agents`) an nkey user limited to its grants
 * and footprint, an unrestricted operator, no anonymous access; the identities registered in mesh_identities.
 */
export async function startSecureNats(t: TestContext, agents: readonly string[] = listAgents()): Promise<TestNats> {
  const doc = loadPolicyFile(defaultPolicyPath).document;
  const defs = await Promise.all(agents.map((a) => loadAgentDefinition(a)));
  const identities = meshIdentities(agents, {});
  const nats = await startNats(t, { extraConfig: brokerAuthorization(doc, defs, identities), identities });
  const operator = await nats.connect("operator");
  for (const [name, seed] of Object.entries(identities.agents)) await registerIdentity(operator, { publicKey: publicKeyOfSeed(seed), name, kind: "agent" });
  await registerIdentity(operator, { publicKey: publicKeyOfSeed(identities.operator), name: "operator", kind: "operator" });
  return nats;
}

/**
 * Stops the server and starts it again on the same port with the same store, as an operator restart or a crash
 * would: clients reconnect by themselves. `during` runs while the server is down.
 */
export async function restartNats(t: TestContext, nats: TestNats, during: () => Promise<void> = async () => undefined): Promise<LocalNats> {
  await nats.stop();
  await during();
  const again = await startLocalNats({ dataDir: nats.dir, logFile: join(nats.dir, "nats.log"), port: nats.port });
  t.after(() => again.stop());
  return again;
}

/** A connection with its client handles, for a test that plays an outside client (an attacker, a probe, a bench). */
export async function connectRawBus(opts: BusOptions): Promise<RawBus> {
  return rawBus(await connectBus(opts));
}
