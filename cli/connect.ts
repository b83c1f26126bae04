import { connectBus, type Bus } from "../shared/bus/index.js";
import { MeshError } from "../shared/errors/index.js";

export const defaultNatsUrl = "nats://127.0.0.1:4222";

export function natsUrl(): string {
  return process.env.NATS_URL || defaultNatsUrl;
}

/** Connects the CLI to the mesh, or says how to get a mesh running. */
export async function connectCli(name: string): Promise<Bus> {
  try {
    return await connectBus({
      servers: natsUrl(),
      name: `mesh-cli-${name}`,
      ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASS } : {}),
    });
  } catch (err) {
    throw new MeshError(
      "E_CONFIG",
      `cannot reach NATS at ${natsUrl()} (${(err as Error).message}). Start a mesh with 'npx mesh up', or set NATS_URL.`,
    );
  }
}
