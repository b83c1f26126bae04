import { localOperatorPath, readLocalOperator } from "./local-state.js";
import { connectBus, type Bus, type BusOptions } from "../shared/bus/index.js";
import { MeshError } from "../shared/errors/index.js";
import { publicKeyOfSeed } from "../policy/signing/index.js";

export const defaultNatsUrl = "nats://127.0.0.1:4222";

/** Credentials `mesh up` left for a broker it started, unless NATS_URL points elsewhere. */
function localOperator() {
  return process.env.NATS_URL ? undefined : readLocalOperator();
}

export function natsUrl(): string {
  return process.env.NATS_URL || localOperator()?.url || defaultNatsUrl;
}

/** Who the CLI is on the broker, and how it proves it. */
export interface CliIdentity {
  readonly auth: Pick<BusOptions, "seed" | "user" | "pass">;
  /** One line for humans: which key or user, and where it came from. */
  readonly describe: string;
}

const short = (publicKey: string) => `${publicKey.slice(0, 10)}…`;

/**
 * The operator identity: NATS_NKEY_SEED, else NATS_USER/NATS_PASS (a production broker), else the operator seed
 * `mesh up` left in .mesh/operator.json for the broker it started; anonymous when there is none.
 */
export function cliIdentity(env: NodeJS.ProcessEnv = process.env): CliIdentity {
  if (env.NATS_NKEY_SEED) {
    const seed = env.NATS_NKEY_SEED.trim();
    return { auth: { seed }, describe: `nkey ${short(publicKeyOfSeed(seed))} (NATS_NKEY_SEED)` };
  }
  if (env.NATS_USER) return { auth: { user: env.NATS_USER, pass: env.NATS_PASS ?? "" }, describe: `user ${env.NATS_USER} (NATS_USER)` };
  const operator = localOperator();
  if (operator) return { auth: { seed: operator.seed }, describe: `operator nkey ${short(publicKeyOfSeed(operator.seed))} (${localOperatorPath()})` };
  return { auth: {}, describe: "anonymous (no NATS_NKEY_SEED, NATS_USER or .mesh/operator.json)" };
}

/** A broker and identity other than the environment's: the one `mesh chaos` starts for its run. */
export interface BrokerTarget {
  readonly url: string;
  readonly identity: CliIdentity;
}

/** Connects the CLI to the mesh, saying on stderr where and as whom, or says how to get a mesh running. */
export async function connectCli(name: string, target: BrokerTarget = { url: natsUrl(), identity: cliIdentity() }): Promise<Bus> {
  const { url, identity: who } = target;
  process.stderr.write(`mesh ${name}: broker ${url} as ${who.describe}\n`);
  try {
    return await connectBus({ servers: url, name: `mesh-cli-${name}`, ...who.auth });
  } catch (err) {
    throw new MeshError("E_CONFIG", `cannot reach NATS at ${url} (${(err as Error).message}). Start a mesh with 'npx mesh up', or set NATS_URL.`);
  }
}

/** The operator's identity seed (it signs the operator's audit chain and replayed decisions): MESH_IDENTITY_SEED, else its broker nkey. */
export function operatorSeed(): string | undefined {
  return process.env.MESH_IDENTITY_SEED || cliIdentity().auth.seed;
}
