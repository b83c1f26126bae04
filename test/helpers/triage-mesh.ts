import type { TestContext } from "node:test";
import type { Bus } from "../../shared/bus/index.js";
import { startStandIn, type EndpointConfig, type StandIn } from "../../shared/models/index.js";
import { endpoint } from "../unit/models/fixtures.js";
import { startAgents, type TestMesh } from "./mesh.js";
import { startSecureNats, type TestNats } from "./nats.js";

export interface TriageMesh {
  readonly standIn: StandIn;
  readonly nats: TestNats;
  readonly mesh: TestMesh;
  readonly bus: Bus;
}

/**
 * The ticket path as it runs in production: the OpenAI-compatible stand-in, a real nats-server enforcing identities, and the agents
 * (ingest and triage unless told otherwise) as processes with the stand-in as their model endpoint. All stopped by `t`.
 */
export async function startTriageMesh(
  t: TestContext,
  opts: { agents?: string[]; endpoints?: (standIn: StandIn) => EndpointConfig[]; env?: Record<string, string> } = {},
): Promise<TriageMesh> {
  const standIn = await startStandIn({ port: 0 });
  t.after(() => standIn.close());
  // Configured as `mesh up` renders it: each agent under its own nkey, limited to its grants and footprint.
  const nats = await startSecureNats(t);
  const endpoints = opts.endpoints?.(standIn) ?? [endpoint(standIn)];
  const mesh = await startAgents(t, nats, opts.agents ?? ["ingest", "triage"], { MODEL_ENDPOINTS: JSON.stringify(endpoints), ...opts.env });
  return { standIn, nats, mesh, bus: await nats.connect() };
}
