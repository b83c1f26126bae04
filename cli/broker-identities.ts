import { brokerFootprint } from "../shared/runtime/broker-footprint.js";
import type { AgentDefinition } from "../shared/runtime/index.js";
import type { PolicyDocument } from "../policy/document/index.js";
import { renderNatsAuthorization } from "../policy/nats-permissions/index.js";
import { createSigningKey, publicKeyOfSeed } from "../policy/signing/index.js";

/** Seeds (SU...) of the identities a local mesh runs as: one per agent, one for the operator. */
export interface MeshIdentities {
  readonly agents: Readonly<Record<string, string>>;
  readonly operator: string;
}

/**
 * Reuses the agents' seeds it is given (so old audit checkpoints stay verifiable) and makes the missing ones; the
 * operator's is new on every run (its file goes when the mesh stops).
 */
export function meshIdentities(agents: readonly string[], saved: Readonly<Record<string, string>>): MeshIdentities {
  return {
    agents: Object.fromEntries(agents.map((a) => [a, saved[a] ?? createSigningKey().seed])),
    operator: createSigningKey().seed,
  };
}

/**
 * The nats-server `authorization` block of a mesh: each agent an nkey user limited to its grants and its footprint
 * (derived from its definition), the operator an unrestricted nkey user. `mesh up` and the tests render it here.
 */
export function brokerAuthorization(doc: PolicyDocument, defs: readonly AgentDefinition[], ids: MeshIdentities): string {
  const identities: Record<string, string> = {};
  for (const [name, seed] of Object.entries(ids.agents)) identities[name] = publicKeyOfSeed(seed);
  return renderNatsAuthorization(doc, {
    identities,
    footprints: Object.fromEntries(defs.map((d) => [d.name, brokerFootprint(d, doc)])),
    operators: [publicKeyOfSeed(ids.operator)],
  });
}
