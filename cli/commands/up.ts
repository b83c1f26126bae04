import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listAgents } from "../../shared/runtime/index.js";
import { spawnAgent, waitReady, type AgentProcess } from "../agent-process.js";
import { natsUrl } from "../connect.js";
import { freePort, isListening, startLocalNats, type LocalNats } from "../local-nats.js";
import { startStandIn, type StandIn } from "../../shared/models/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const meshDir = join(root, ".mesh");

export interface UpOptions {
  /** Agent folder names; default every agent under agents/. */
  readonly agents?: readonly string[];
  /** Always start our own nats-server under .mesh/, even if one is reachable. */
  readonly ownNats?: boolean;
  /** Extra environment for every agent (model endpoints, policy file...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface RunningMesh {
  readonly natsUrl: string;
  readonly startedNats: boolean;
  /** The local OpenAI-compatible stand-in, when no LLM endpoint is configured. */
  readonly standIn: StandIn | undefined;
  readonly agents: readonly AgentProcess[];
  stop(): Promise<void>;
}

/** Starts the broker when none is reachable, then each agent as its own process, and waits until all are ready. */
export async function startMesh(opts: UpOptions = {}): Promise<RunningMesh> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  mkdirSync(join(meshDir, "logs"), { recursive: true });
  let nats: LocalNats | undefined;
  let url = natsUrl();
  const explicit = Boolean(process.env.NATS_URL);
  if (opts.ownNats || (!explicit && !(await isListening(4222)))) {
    const port = (await isListening(4222)) ? await freePort() : 4222;
    nats = await startLocalNats({ dataDir: join(meshDir, "nats"), port, logFile: join(meshDir, "logs", "nats-server.log") });
    url = nats.url;
    log(`started nats-server with JetStream at ${url} (data in .mesh/nats, log in .mesh/logs/nats-server.log)`);
  } else {
    log(`using the NATS server at ${url}`);
  }

  const names = opts.agents?.length ? [...opts.agents] : listAgents();
  const env: Record<string, string> = { ...opts.env };
  const llmConfigured = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "MODEL_ENDPOINTS"].some((k) => process.env[k] || env[k]);
  let standIn: StandIn | undefined;
  if (names.includes("triage") && !llmConfigured) {
    standIn = await startStandIn({ port: 0 });
    env.MODEL_ENDPOINTS = JSON.stringify([
      { name: "stand-in", baseUrl: standIn.url, apiKey: "stand-in", model: "stand-in-large", region: process.env.MESH_REGION || "eu", priceUsdPer1kInputTokens: 0.00015, priceUsdPer1kOutputTokens: 0.0006 },
    ]);
    log(`no LLM key configured (OPENAI_API_KEY / OPENAI_BASE_URL / MODEL_ENDPOINTS): using the local OpenAI-compatible stand-in at ${standIn.url}`);
  } else if (names.includes("triage")) {
    log(`LLM endpoint: ${process.env.MODEL_ENDPOINTS ? "MODEL_ENDPOINTS" : process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1"}`);
  }
  const agents: AgentProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(
      agents.map(async (a) => {
        if (a.child.exitCode === null) a.child.kill("SIGTERM");
        await a.exited;
      }),
    );
    await standIn?.close();
    await nats?.stop();
  };
  try {
    let port = 9464;
    for (const name of names) {
      while (await isListening(port)) port++;
      const agent = spawnAgent(name, { NATS_URL: url, ...env }, port++, join(meshDir, "logs", `${name}.log`));
      agents.push(agent);
    }
    await Promise.all(agents.map((a) => waitReady(a)));
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; see .mesh/logs/ for each agent's log`);
  }
  return { natsUrl: url, startedNats: Boolean(nats), standIn, agents, stop };
}

export function describeMesh(mesh: RunningMesh): string {
  const rows = mesh.agents.map(
    (a) => `  ${a.name.padEnd(9)} pid ${String(a.child.pid).padEnd(8)} http://127.0.0.1:${a.httpPort}/healthz   http://127.0.0.1:${a.httpPort}/metrics`,
  );
  return [
    `mesh is up on ${mesh.natsUrl}`,
    ...rows,
    ...(mesh.standIn ? [`  LLM       local stand-in at ${mesh.standIn.url} (set OPENAI_API_KEY to use a real endpoint)`] : []),
    "logs: .mesh/logs/<agent>.log",
  ].join("\n");
}

/** `mesh up`: runs until Ctrl-C, then drains every agent and stops the broker it started. */
export async function upCommand(opts: UpOptions): Promise<number> {
  const mesh = await startMesh(opts);
  process.stdout.write(`${describeMesh(mesh)}\nCtrl-C stops the mesh.\n`);
  await untilSignal();
  process.stderr.write("stopping: draining agents...\n");
  await mesh.stop();
  return 0;
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
