import { z } from "zod";
import type { Bus } from "./connection.js";
import { buckets } from "./topology.js";
import { rawBus } from "./raw-bus.js";

/**
 * Who is who on the mesh: public nkeys (U...) of the agents and operators, registered by the operator identity
 * (`mesh up`, `mesh init`) in KV mesh_identities. One key signs a process's broker authentication, its audit
 * checkpoints and the review decisions it records, so the broker, the audit verifier and the runtime all
 * recognise the same identity. Agents read this bucket; only the operator writes it.
 */
export const identitySchema = z.object({
  publicKey: z.string().regex(/^U[A-Z2-7]{55}$/, "must be a public user nkey (U...)"),
  /** The agent's name (its folder under agents/), the operator's, or a policy approver's. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and -"),
  /** `approver`: a key the running agents accept signed policy revisions from (their MESH_POLICY_APPROVERS). */
  kind: z.enum(["agent", "operator", "approver"]),
  registeredAt: z.string(),
});
export type Identity = z.infer<typeof identitySchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function registerIdentity(bus: Bus, identity: Omit<Identity, "registeredAt">): Promise<void> {
  const kv = await rawBus(bus).js.views.kv(buckets.identities, { bindOnly: true });
  const record: Identity = identitySchema.parse({ ...identity, registeredAt: new Date().toISOString() });
  await kv.put(record.publicKey, encoder.encode(JSON.stringify(record)));
}

/** Every registered identity by public key; an entry that does not parse is left out (and cannot vouch for anything). */
export async function readIdentities(bus: Bus): Promise<Map<string, Identity>> {
  const kv = await rawBus(bus).js.views.kv(buckets.identities, { bindOnly: true });
  const out = new Map<string, Identity>();
  // Collect the keys before reading any: the keys iterator ends (and drops what it still holds) while a get awaits.
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  for (const key of keys) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== "PUT") continue;
    try {
      const parsed = identitySchema.safeParse(JSON.parse(decoder.decode(entry.value)));
      if (parsed.success && parsed.data.publicKey === key) out.set(key, parsed.data);
    } catch {
      // not JSON: not an identity
    }
  }
  return out;
}
