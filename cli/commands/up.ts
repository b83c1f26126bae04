import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listAgents } from "../../shared/runtime/index.js";
import { startStandIn, type StandIn } from "../../shared/models/index.js";
import { defaultPolicyPath, parsePolicyDocument } from "../../policy/index.js";
import { agentsOf, generateCredentials, renderNatsAuthorization, type BrokerCredentials } from "../../policy/nats-permissions/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { spawnAgent, waitReady, type AgentProcess } from "../agent-process.js";
import { natsUrl } from "../connect.js";
import { freePort, isListening, startLocalNats, type LocalNats } from "../local-nats.js";
import { ensureLocalDataKeys, meshDir, readAuditKeys, removeLocalOperator, writeAuditKeys, writeLocalOperator } from "../local-state.js";

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
  /** Unrestricted credentials for the operator (CLI, demo) on a broker this mesh started; also in .mesh/operator.json. */
  readonly operator: BrokerCredentials | undefined;
  readonly startedNats: boolean;
  /** Where the review web UI listens, and a sign-in token when `mesh up` made one (no REVIEW_TOKENS set). */
  readonly review: { readonly url: string; readonly token: string | undefined } | undefined;
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
  const env: Record<string, string> = { ...opts.env };
  const agentCredentials: Record<string, BrokerCredentials> = {};
  let operator: BrokerCredentials | undefined;
  if (opts.ownNats || (!explicit && !(await isListening(4222)))) {
    // Defence in depth: the broker we start enforces each agent's policy grants as NATS permissions,
    // so an agent that bypassed the policy library would still be refused.
    const doc = parsePolicyDocument(readFileSync(env.POLICY_FILE ?? process.env.POLICY_FILE ?? defaultPolicyPath, "utf8"));
    Object.assign(agentCredentials, generateCredentials(agentsOf(doc)));
    operator = generateCredentials(["operator"]).operator!;
    const port = (await isListening(4222)) ? await freePort() : 4222;
    nats = await startLocalNats({
      dataDir: join(meshDir, "nats"),
      port,
      logFile: join(meshDir, "logs", "nats-server.log"),
      extraConfig: renderNatsAuthorization(doc, { credentials: agentCredentials, unrestricted: [operator] }),
    });
    url = nats.url;
    writeLocalOperator({ url, ...operator });
    log(`started nats-server with JetStream at ${url}, each agent limited to its policy grants (data in .mesh/nats, log in .mesh/logs/nats-server.log)`);
  } else {
    log(`using the NATS server at ${url}`);
  }

  const names = opts.agents?.length ? [...opts.agents] : listAgents();
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
  let review: RunningMesh["review"];
  if (names.includes("review")) {
    let reviewPort = Number(env.REVIEW_PORT ?? process.env.REVIEW_PORT ?? 8080);
    if (!env.REVIEW_PORT && !process.env.REVIEW_PORT) while (await isListening(reviewPort)) reviewPort++;
    env.REVIEW_PORT = String(reviewPort);
    // A laptop default that works: one token for a reviewer who may also approve, printed below.
    const token = env.REVIEW_TOKENS || process.env.REVIEW_TOKENS ? undefined : `local-${randomBytes(9).toString("base64url")}`;
    if (token) env.REVIEW_TOKENS = JSON.stringify({ [token]: { id: "local-reviewer", roles: ["reviewer", "approver"] } });
    review = { url: `http://127.0.0.1:${reviewPort}/`, token };
  }
  // Personal fields are sealed at ingest: without configured keys, a local key file (0600) under .mesh/.
  if (![env, process.env].some((e) => e.MESH_DATA_KEYS || e.MESH_DATA_KEYS_FILE)) {
    env.MESH_DATA_KEYS_FILE = ensureLocalDataKeys(env.MESH_REGION || process.env.MESH_REGION || "eu");
    log(`data keys: ${env.MESH_DATA_KEYS_FILE} (set MESH_DATA_KEYS_FILE to use your own)`);
  }
  const agents: AgentProcess[] = [];
  const auditKeys = readAuditKeys();
  const stop = async () => {
    await Promise.allSettled(
      agents.map(async (a) => {
        if (a.child.exitCode === null) a.child.kill("SIGTERM");
        await a.exited;
      }),
    );
    await standIn?.close();
    await nats?.stop();
    if (nats) removeLocalOperator();
  };
  try {
    let port = 9464;
    for (const name of names) {
      while (await isListening(port)) port++;
      const creds = agentCredentials[name];
      const identity: Record<string, string> = creds ? { NATS_USER: creds.user, NATS_PASS: creds.password } : {};
      // Each agent signs its audit chain with a key of its own; `mesh audit verify` on this machine trusts these.
      auditKeys[name] ??= createSigningKey().seed;
      identity.MESH_IDENTITY_SEED = env.MESH_IDENTITY_SEED ?? process.env.MESH_IDENTITY_SEED ?? auditKeys[name];
      if (nats && !creds) log(`agent ${name} has no identity in the policy document's agents section; the broker will refuse it`);
      const agent = spawnAgent(name, { NATS_URL: url, ...env, ...identity }, port++, join(meshDir, "logs", `${name}.log`));
      agents.push(agent);
    }
    writeAuditKeys(auditKeys);
    await Promise.all(agents.map((a) => waitReady(a)));
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; see .mesh/logs/ for each agent's log`);
  }
  return { natsUrl: url, operator, startedNats: Boolean(nats), review, standIn, agents, stop };
}

export function describeMesh(mesh: RunningMesh): string {
  const rows = mesh.agents.map(
    (a) => `  ${a.name.padEnd(9)} pid ${String(a.child.pid).padEnd(8)} http://127.0.0.1:${a.httpPort}/healthz   http://127.0.0.1:${a.httpPort}/metrics`,
  );
  return [
    `mesh is up on ${mesh.natsUrl}`,
    ...rows,
    ...(mesh.standIn ? [`  LLM       local stand-in at ${mesh.standIn.url} (set OPENAI_API_KEY to use a real endpoint)`] : []),
    ...(mesh.review ? [`  review UI ${mesh.review.url}${mesh.review.token ? `  (sign in with token ${mesh.review.token})` : ""}`] : []),
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
