import { listAgents, loadAgentConfig, loadAgentDefinition } from "../../shared/runtime/index.js";
import { initMeshTopology, topologyOptionsOf } from "../../shared/runtime/mesh-topology.js";
import type { Bus } from "../../shared/bus/index.js";
import { connectCli } from "../connect.js";
import { report } from "../report.js";

/**
 * Creates (or updates) what the mesh runs on, as the operator: streams, shared buckets, and each agent's durable
 * consumers and state bucket, with consumer settings from the environment the agents get (ACK_WAIT_MS, MAX_DELIVER...).
 */
export async function initMesh(bus: Bus, names: readonly string[] = listAgents(), env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const agents = await Promise.all(
    names.map(async (name) => ({ def: await loadAgentDefinition(name), settings: loadAgentConfig({ ...env, AGENT: name }) })),
  );
  await initMeshTopology(bus, agents, topologyOptionsOf(loadAgentConfig({ ...env, AGENT: names[0] ?? "operator" })));
}

/** `mesh init`: topology for every agent (or --agents a,b) on the broker NATS_URL names. */
export async function initCommand(opts: { agents?: readonly string[]; json?: boolean }): Promise<number> {
  const bus = await connectCli("init");
  try {
    const names = opts.agents?.length ? opts.agents : listAgents();
    await initMesh(bus, names);
    report(opts, { agents: names }, () => `topology declared: streams, buckets and the consumers of ${names.join(", ")}`);
    return 0;
  } finally {
    await bus.close();
  }
}
