import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listAgents, loadAgentDefinition } from "../../shared/runtime/index.js";
import { startStandIn, type StandIn } from "../../shared/models/index.js";
import { startFakeMastodon, type FakeMastodon } from "../../shared/fake-services/index.js";
import { connectBus, registerIdentity, type Bus, type BusOptions } from "../../shared/bus/index.js";
import { MeshError } from "../../shared/errors/index.js";
import { defaultPolicyPath, parsePolicyDocument } from "../../policy/index.js";
import { agentsOf } from "../../policy/nats-permissions/index.js";
import { publicKeyOfSeed } from "../../policy/signing/index.js";
import { spawnAgent, waitReady, type AgentProcess } from "../agent-process.js";
import { brokerAuthorization, meshIdentities } from "../broker-identities.js";
import { cliIdentity } from "../connect.js";
import { freePort, isListening, startLocalNats, type LocalNats } from "../local-nats.js";
import { ensureLocalDataKeys, localOperatorPath, meshDir, readAgentSeeds, removeLocalOperator, writeAgentSeeds, writeLocalOperator } from "../local-state.js";
import { initMesh } from "./init.js";
import { watchParent } from "../../shared/runtime/parent-watch.js";
import { reportEach } from "../report.js";

/** The flag that lets `mesh up` use a broker that accepts anonymous clients. */
export const allowUnauthenticatedFlag = "--allow-unauthenticated-broker";

export interface UpOptions {
  /** Agent folder names; default every agent under agents/. */
  readonly agents?: readonly string[];
  /** Always start our own nats-server under .mesh/, even when NATS_URL is set. */
  readonly ownNats?: boolean;
  /** A broker to use instead of starting one (default NATS_URL); the CLI authenticates as cliIdentity says. */
  readonly natsUrl?: string;
  /** Port for the broker it starts (default 4222 when free). */
  readonly natsPort?: number;
  /** Serve the started broker's monitoring endpoint (/varz, /jsz) on this loopback port (the bench reads it). */
  readonly monitorPort?: number;
  /** Use `natsUrl` even though it accepts anonymous clients (anyone could read and forge every message). */
  readonly allowUnauthenticatedBroker?: boolean;
  /** Extra environment for every agent (model endpoints, policy file...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  /** `mesh up --json`: describe the running mesh as JSON on stdout. */
  readonly json?: boolean;
}

export interface RunningMesh {
  readonly natsUrl: string;
  /** The operator's seed on a broker this mesh started (unrestricted; also in .mesh/operator.json until stop). */
  readonly operatorSeed: string | undefined;
  readonly startedNats: boolean;
  /** Where the review web UI listens, and a sign-in token when `mesh up` made one (no REVIEW_TOKENS set). */
  readonly review: { readonly url: string; readonly token: string | undefined } | undefined;
  /** The local OpenAI-compatible stand-in, when no LLM endpoint is configured. */
  readonly standIn: StandIn | undefined;
  readonly agents: readonly AgentProcess[];
  stop(): Promise<void>;
}

/**
 * Refuses a broker that lets anyone in, unless told otherwise: on such a broker the permissions rendered from the
 * policy mean nothing. The warning goes to the log, so it stays in the output of the run.
 */
export async function checkBrokerGuarded(url: string, allowUnauthenticated: boolean, log: (line: string) => void): Promise<void> {
  let anonymous: Bus;
  try {
    anonymous = await connectBus({ servers: url, name: "mesh-up-probe", reconnect: false, timeoutMs: 3000 });
  } catch (err) {
    if (/authorization/i.test(String((err as Error).message))) return;
    throw new MeshError("E_CONFIG", `cannot reach NATS at ${url} (${(err as Error).message}); unset NATS_URL to let mesh up start its own broker`);
  }
  await anonymous.close();
  if (!allowUnauthenticated) {
    throw new MeshError(
      "E_CONFIG",
      `the broker at ${url} accepts anonymous connections: anyone who reaches it can read and forge every message. ` +
        `Configure authorization on it, unset NATS_URL so mesh up starts its own, or pass ${allowUnauthenticatedFlag} to use it anyway`,
    );
  }
  log(`WARNING: the broker at ${url} accepts anonymous connections (${allowUnauthenticatedFlag}); the policy's broker permissions are not enforced there`);
}

/**
 * Starts its own broker (unless NATS_URL names one), declares the topology as the operator, registers every
 * identity, then each agent as its own process under its own nkey, and waits until all are ready.
 */
export async function startMesh(opts: UpOptions = {}): Promise<RunningMesh> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dir = meshDir();
  mkdirSync(join(dir, "logs"), { recursive: true });
  const env: Record<string, string> = { ...opts.env };
  const names = opts.agents?.length ? [...opts.agents] : listAgents();
  const defs = await Promise.all(names.map((n) => loadAgentDefinition(n)));
  const doc = parsePolicyDocument(readFileSync(env.POLICY_FILE ?? process.env.POLICY_FILE ?? defaultPolicyPath, "utf8"));
  const ids = meshIdentities(names, readAgentSeeds());
  for (const name of names) if (!agentsOf(doc).includes(name)) log(`agent ${name} is not named in the policy document; the broker will refuse it`);
  const explicitUrl = opts.natsUrl ?? process.env.NATS_URL;
  let nats: LocalNats | undefined;
  let url: string;
  let operatorAuth: Pick<BusOptions, "seed" | "user" | "pass">;
  if (opts.ownNats || !explicitUrl) {
    // Defence in depth: the broker we start knows each agent only by its public nkey and enforces its policy
    // grants and footprint as permissions, so an agent that bypassed the policy library would still be refused.
    const port = opts.natsPort ?? ((await isListening(4222)) ? await freePort() : 4222);
    nats = await startLocalNats({
      dataDir: join(dir, "nats"),
      port,
      logFile: join(dir, "logs", "nats-server.log"),
      extraConfig: [brokerAuthorization(doc, defs, ids), ...(opts.monitorPort ? [`http: "127.0.0.1:${opts.monitorPort}"`] : [])].join("\n"),
    });
    url = nats.url;
    writeLocalOperator({ url, seed: ids.operator });
    operatorAuth = { seed: ids.operator };
    log(`started nats-server with JetStream at ${url}, each agent an nkey identity limited to its policy grants (data in ${join(dir, "nats")}, log in ${join(dir, "logs", "nats-server.log")})`);
    log(`mesh up: broker ${url} as operator nkey ${publicKeyOfSeed(ids.operator).slice(0, 10)}… (${localOperatorPath()})`);
  } else {
    url = explicitUrl;
    const who = cliIdentity();
    operatorAuth = who.auth;
    log(`mesh up: broker ${url} as ${who.describe}`);
    await checkBrokerGuarded(url, opts.allowUnauthenticatedBroker ?? false, log);
  }
  const removeSecrets = () => {
    if (!nats) return;
    rmSync(nats.configPath, { force: true });
    removeLocalOperator();
  };
  try {
    const operator = await connectBus({ servers: url, name: "mesh-up-operator", reconnect: false, ...operatorAuth });
    try {
      await initMesh(operator, names, { ...process.env, ...env });
      for (const [name, seed] of Object.entries(ids.agents)) await registerIdentity(operator, { publicKey: publicKeyOfSeed(seed), name, kind: "agent" });
      if (operatorAuth.seed) await registerIdentity(operator, { publicKey: publicKeyOfSeed(operatorAuth.seed), name: "operator", kind: "operator" });
      // The approvers the agents will trust (their MESH_POLICY_APPROVERS): `mesh policy push` checks a signer against these.
      const approvers = (env.MESH_POLICY_APPROVERS ?? process.env.MESH_POLICY_APPROVERS ?? "").split(",").map((k) => k.trim()).filter(Boolean);
      for (const publicKey of approvers) await registerIdentity(operator, { publicKey, name: "approver", kind: "approver" });
    } finally {
      await operator.close();
    }
  } catch (err) {
    await nats?.stop();
    removeSecrets();
    throw err;
  }
  writeAgentSeeds({ ...readAgentSeeds(), ...ids.agents });

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
  let fakeMastodon: FakeMastodon | undefined;
  if (names.includes("social") && !(env.SOCIAL_BASE_URL || process.env.SOCIAL_BASE_URL)) {
    const token = `local-${randomBytes(12).toString("base64url")}`;
    fakeMastodon = await startFakeMastodon({ port: 0, token });
    Object.assign(env, { SOCIAL_BASE_URL: fakeMastodon.url, SOCIAL_TOKEN: token });
    log(`no social platform configured (SOCIAL_BASE_URL / SOCIAL_TOKEN): using the local fake Mastodon at ${fakeMastodon.url}`);
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
  const stop = async () => {
    await Promise.allSettled(
      agents.map(async (a) => {
        a.signal("SIGTERM");
        await a.exited;
      }),
    );
    await standIn?.close();
    await fakeMastodon?.close();
    await nats?.stop();
    // nats.conf names every identity and the operator file holds the operator's seed: neither outlives the mesh.
    // The agents' seeds stay in audit-keys.json (see local-state.ts).
    removeSecrets();
  };
  try {
    let port = 9464;
    for (const name of names) {
      while (await isListening(port)) port++;
      // One seed per agent: its broker nkey, and the key of its audit checkpoints and review decisions. The
      // operator's credentials in this process's environment are blanked (empty is unset), not handed down.
      const identity = { MESH_IDENTITY_SEED: ids.agents[name]!, NATS_NKEY_SEED: "", NATS_USER: "", NATS_PASS: "" };
      const agent = spawnAgent(name, { NATS_URL: url, ...env, ...identity }, port++, join(dir, "logs", `${name}.log`));
      agents.push(agent);
    }
    await Promise.all(agents.map((a) => waitReady(a)));
  } catch (err) {
    await stop();
    throw new MeshError("E_CONFIG", `${(err as Error).message}\n(every agent's log: ${join(dir, "logs")})`);
  }
  return { natsUrl: url, operatorSeed: nats ? ids.operator : undefined, startedNats: Boolean(nats), review, standIn, agents, stop };
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
    `logs: ${join(meshDir(), "logs")}/<agent>.log`,
  ].join("\n");
}

/** `mesh up`: runs until Ctrl-C (or SIGTERM, SIGHUP, or its parent's end), then drains every agent and stops the broker it started. */
export async function upCommand(opts: UpOptions): Promise<number> {
  const stopping = untilSignal();
  const mesh = await startMesh(opts);
  const agents = mesh.agents.map((a) => ({ name: a.name, pid: a.child.pid, http: `http://127.0.0.1:${a.httpPort}/`, log: a.logFile }));
  // One line: the command keeps running, and a program reads the line as soon as it is written.
  reportEach(opts, [{ natsUrl: mesh.natsUrl, startedNats: mesh.startedNats, agents, review: mesh.review?.url, llmStandIn: mesh.standIn?.url }], () => `${describeMesh(mesh)}\nCtrl-C stops the mesh.`);
  const why = await stopping;
  process.stderr.write(`${why}: stopping, draining agents...\n`);
  await mesh.stop();
  return 0;
}

/**
 * Resolves, naming why, on the first SIGINT, SIGTERM or SIGHUP, or when the process that started this one is gone
 * (an npm killed outright): however the parent is stopped, what it started is stopped too. Listening from the
 * start also keeps a signal that arrives while the mesh is starting from killing the CLI with its agents left over.
 */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve(signal));
    if (process.ppid > 1) watchParent(process.ppid, () => resolve(`parent process ${process.ppid} is gone`));
  });
}
