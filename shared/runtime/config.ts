import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { defaultMaxEventBytes, parseJsonBody } from "../envelope/index.js";
import { MeshError, describeIssues } from "../errors/index.js";
import { dataKeysJson } from "../../policy/pii/data-keys.js";

const int = (min: number) => z.coerce.number().int().min(min);

/**
 * The one configuration object of an agent process: environment variables, optionally layered over a JSON
 * file named by MESH_CONFIG. Every value has a laptop default and a name that says its unit.
 */
export const agentConfigSchema = z.object({
  agent: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be an agent folder name such as invoice"),
  instance: z.string().min(1).default(`${hostname()}-${process.pid}`),
  natsUrl: z.string().min(1).default("nats://127.0.0.1:4222"),
  natsUser: z.string().optional(),
  natsPass: z.string().optional(),
  httpHost: z.string().default("127.0.0.1"),
  httpPort: int(0).max(65535).default(9464),
  /** Region this process runs in; audit records without a task go to this region's audit subject. */
  region: z.string().regex(/^[a-z]{2}(-[a-z0-9]+)*$/).default("eu"),
  policyFile: z.string().optional(),
  /** Public nkeys (U...) whose signed policy documents this agent accepts from KV mesh_policy; comma separated. */
  policyApprovers: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []))
    .pipe(z.array(z.string().regex(/^U[A-Z2-7]{55}$/, "must be a public user nkey (U...)"))),
  concurrency: int(1).optional(),
  ackWaitMs: int(100).default(30_000),
  maxDeliver: int(1).default(5),
  /** Transient failures (model endpoint down, breaker open) park with backoff up to this many deliveries. */
  maxParkedDeliveries: int(1).default(100),
  maxAckPending: int(1).default(1000),
  backoffBaseMs: int(0).default(1000),
  backoffMaxMs: int(0).default(60_000),
  shutdownGraceMs: int(0).default(10_000),
  /** The process that started this agent (`mesh up`): when it is gone, however it ended, the agent drains and exits. */
  parentPid: int(1).optional(),
  /** How often the agent checks that its durable consumers still exist (readiness turns false when one is gone). */
  consumerCheckMs: int(100).default(5000),
  maxEventBytes: int(1).default(defaultMaxEventBytes),
  streamReplicas: int(1).max(5).default(1),
  duplicateWindowMs: int(1000).default(10 * 60_000),
  /** Life of a journaled model answer (the journal bucket's TTL, set when `mesh init`/`mesh up` creates it). */
  modelJournalTtlMs: int(60_000).default(86_400_000),
  toolTimeoutMs: int(1).default(10_000),
  /** JSON array of model endpoints (see shared/models endpointSchema); overrides the OPENAI_* shortcut. */
  modelEndpoints: z.string().optional(),
  /** JSON object of router settings (thresholds per flow, cache, breaker, batching). */
  modelRouting: z.string().optional(),
  openaiApiKey: z.string().optional(),
  openaiBaseUrl: z.string().url().optional(),
  openaiModel: z.string().default("gpt-4o-mini"),
  /** Region the OPENAI_* endpoint processes data in; defaults to MESH_REGION. */
  llmRegion: z.string().optional(),
  llmPriceUsdPer1kInputTokens: z.coerce.number().nonnegative().default(0.00015),
  llmPriceUsdPer1kOutputTokens: z.coerce.number().nonnegative().default(0.0006),
  /** Drift: classifications that form each feature's reference window, and the sliding window compared to it. */
  driftReferenceSize: int(10).default(1000),
  driftWindowSize: int(10).default(500),
  /** Drift that acts: over either limit a flow's routing is tightened, and it relaxes after the stable window. */
  driftPsiLimit: z.coerce.number().positive().default(0.25),
  driftCorrectionRateLimit: z.coerce.number().positive().max(1).default(0.1),
  driftStableMs: int(1000).default(15 * 60_000),
  /**
   * The agent's identity: an nkey user seed (SU...). It authenticates the process to the broker (nkey auth) and
   * signs its audit checkpoints and the review decisions it records; its public key is registered by the
   * operator in KV mesh_identities, which is how the broker, the verifier and the runtime know it.
   */
  identitySeed: z.string().regex(/^SU[A-Z2-7]+$/, "must be an nkey user seed (SU...)").optional(),
  /**
   * Data keys per region that encrypt personal fields at rest (policy/pii/data-keys.ts has the shape), as JSON; or
   * MESH_DATA_KEYS_FILE names a file holding that JSON. Agents that ingest, consume tasks or serve reviews need them.
   */
  dataKeys: dataKeysJson.optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

const envNames: Record<keyof AgentConfig, string> = {
  agent: "AGENT",
  instance: "MESH_INSTANCE",
  natsUrl: "NATS_URL",
  natsUser: "NATS_USER",
  natsPass: "NATS_PASS",
  httpHost: "HTTP_HOST",
  httpPort: "HTTP_PORT",
  region: "MESH_REGION",
  policyFile: "POLICY_FILE",
  policyApprovers: "MESH_POLICY_APPROVERS",
  concurrency: "CONCURRENCY",
  ackWaitMs: "ACK_WAIT_MS",
  maxDeliver: "MAX_DELIVER",
  maxParkedDeliveries: "MAX_PARKED_DELIVERIES",
  maxAckPending: "MAX_ACK_PENDING",
  backoffBaseMs: "BACKOFF_BASE_MS",
  backoffMaxMs: "BACKOFF_MAX_MS",
  shutdownGraceMs: "SHUTDOWN_GRACE_MS",
  parentPid: "MESH_PARENT_PID",
  consumerCheckMs: "CONSUMER_CHECK_MS",
  maxEventBytes: "MAX_EVENT_BYTES",
  streamReplicas: "STREAM_REPLICAS",
  duplicateWindowMs: "DUPLICATE_WINDOW_MS",
  driftPsiLimit: "DRIFT_PSI_LIMIT",
  driftCorrectionRateLimit: "DRIFT_CORRECTION_RATE_LIMIT",
  driftStableMs: "DRIFT_STABLE_MS",
  modelJournalTtlMs: "MODEL_JOURNAL_TTL_MS",
  toolTimeoutMs: "TOOL_TIMEOUT_MS",
  modelEndpoints: "MODEL_ENDPOINTS",
  modelRouting: "MODEL_ROUTING",
  openaiApiKey: "OPENAI_API_KEY",
  openaiBaseUrl: "OPENAI_BASE_URL",
  openaiModel: "OPENAI_MODEL",
  llmRegion: "LLM_REGION",
  llmPriceUsdPer1kInputTokens: "LLM_PRICE_USD_PER_1K_INPUT_TOKENS",
  llmPriceUsdPer1kOutputTokens: "LLM_PRICE_USD_PER_1K_OUTPUT_TOKENS",
  identitySeed: "MESH_IDENTITY_SEED",
  driftReferenceSize: "DRIFT_REFERENCE_SIZE",
  driftWindowSize: "DRIFT_WINDOW_SIZE",
  dataKeys: "MESH_DATA_KEYS",
  logLevel: "LOG_LEVEL",
};

const secretKeys: readonly (keyof AgentConfig)[] = ["natsPass", "openaiApiKey", "modelEndpoints", "identitySeed", "dataKeys"];

export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AgentConfig> = {}): AgentConfig {
  const fromFile = env.MESH_CONFIG ? readConfigFile(env.MESH_CONFIG) : {};
  const fromEnv = Object.fromEntries(
    Object.entries(envNames).flatMap(([key, name]) => (env[name] !== undefined && env[name] !== "" ? [[key, env[name]]] : [])),
  );
  // Key material from a file (0600, outside the environment of child processes) unless given inline.
  const keysFile = !fromEnv.dataKeys && env.MESH_DATA_KEYS_FILE ? env.MESH_DATA_KEYS_FILE : undefined;
  if (keysFile) fromEnv.dataKeys = readSecretFile("MESH_DATA_KEYS_FILE", keysFile);
  const names: Record<keyof AgentConfig, string> = { ...envNames, ...(keysFile ? { dataKeys: "MESH_DATA_KEYS_FILE" } : {}) };
  const parsed = agentConfigSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides });
  if (!parsed.success) {
    const named = parsed.error.issues.map((i) => {
      const key = i.path[0] as keyof AgentConfig | undefined;
      return { ...i, path: key && names[key] ? [`${names[key]} (${String(key)})`, ...i.path.slice(1)] : i.path };
    });
    throw new MeshError("E_CONFIG", `invalid configuration: ${describeIssues(named)}`);
  }
  return parsed.data;
}

/** The file may hold secrets (data keys, seeds): its errors say where it failed, never what it holds. */
function readConfigFile(path: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = parseJsonBody(readSecretFile("MESH_CONFIG", path), `MESH_CONFIG ${path}`);
  } catch (err) {
    throw new MeshError("E_CONFIG", (err as Error).message);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(json);
  if (!parsed.success) throw new MeshError("E_CONFIG", `MESH_CONFIG ${path}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function readSecretFile(name: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new MeshError("E_CONFIG", `${name} ${path}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
}

/**
 * Removes the secret variables from the process environment once the configuration holds them, before any
 * agent code loads: handler code that reads `process.env` finds no broker credential, signing seed or API key.
 */
export function withholdSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const key of secretKeys) delete env[envNames[key]];
}

/** The agent's own settings for its `serve`: only `<AGENT>_*` variables (REVIEW_PORT for review), nothing else of the process. */
export function agentSettingsEnv(agent: string, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const prefix = `${agent.toUpperCase().replace(/-/g, "_")}_`;
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(prefix)));
}

/** What start-up prints: every value, secrets masked. */
export function redactedConfig(config: AgentConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, secretKeys.includes(k as keyof AgentConfig) && v ? "[redacted]" : v]),
  );
}
