import { readLocalOperator } from "./local-state.js";
import { connectBus, type Bus } from "../shared/bus/index.js";
import { MeshError } from "../shared/errors/index.js";

export const defaultNatsUrl = "nats://127.0.0.1:4222";

/** Credentials `mesh up` left for a broker it started, unless NATS_URL points elsewhere. */
function localOperator() {
  return process.env.NATS_URL ? undefined : readLocalOperator();
}

export function natsUrl(): string {
  return process.env.NATS_URL || localOperator()?.url || defaultNatsUrl;
}

/** Connects the CLI to the mesh, or says how to get a mesh running. */
/** `declareTopology: false` for commands that inspect the streams: declaring would first reset what they inspect. */
export async function connectCli(name: string, opts: { declareTopology?: boolean } = {}): Promise<Bus> {
  const operator = localOperator();
  const auth = process.env.NATS_USER
    ? { user: process.env.NATS_USER, pass: process.env.NATS_PASS }
    : operator
      ? { user: operator.user, pass: operator.password }
      : {};
  try {
    return await connectBus({ servers: natsUrl(), name: `mesh-cli-${name}`, ...auth, ...(opts.declareTopology === false ? { declareTopology: false } : {}) });
  } catch (err) {
    throw new MeshError(
      "E_CONFIG",
      `cannot reach NATS at ${natsUrl()} (${(err as Error).message}). Start a mesh with 'npx mesh up', or set NATS_URL.`,
    );
  }
}

/** The operator's identity seed: MESH_IDENTITY_SEED, else the one `mesh up` left for the broker it started. */
export function operatorSeed(): string | undefined {
  return process.env.MESH_IDENTITY_SEED || localOperator()?.seed;
}
