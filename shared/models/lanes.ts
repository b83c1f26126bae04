import { MeshError, TransientError, isTransient } from "../errors/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import { createBatcher, type Batcher } from "./batcher.js";
import { breakerStateValue, createBreaker, defaultBreakerOptions, type Breaker, type BreakerOptions } from "./breaker.js";
import { ModelOutputError, type EndpointConfig, type LlmCall, type LlmClassification, type LlmTier } from "./llm-tier.js";
import type { ModelGate, TaskRef, TriedTier } from "./model-gate.js";
import type { Spend } from "./spend.js";

/**
 * The large-model endpoints in the order they are tried, each with its own breaker and (when batching is on)
 * batchers: asking one, and walking them until one answers.
 */
export interface Lane {
  readonly endpoint: EndpointConfig;
  readonly tier: LlmTier;
  readonly breaker: Breaker;
  readonly batchers: Map<string, Batcher<string, LlmCall<LlmClassification>>>;
}

export interface LanesOptions {
  readonly endpoints: readonly EndpointConfig[];
  readonly breaker: Partial<Omit<BreakerOptions, "name">>;
  /** Micro-batching of classifications across concurrent tasks; maxBatch 1 turns it off. */
  readonly batch: { readonly maxBatch: number; readonly maxWaitMs: number };
  readonly makeLlm: (endpoint: EndpointConfig) => LlmTier;
  readonly gate: ModelGate;
  readonly redact: (text: string) => string;
  readonly metrics?: MeshMetrics;
}

/** What one lane answered, and what it cost (nothing when it came from the cache). */
export interface LaneAnswer<T> {
  readonly value: T;
  readonly costUsd: number;
  readonly tokens: number;
  readonly cached: boolean;
}

export type WalkOutcome<T> =
  | { kind: "answer"; lane: Lane; value: T; costUsd: number; cached: boolean }
  | { kind: "invalid"; lane: Lane; error: ModelOutputError }
  | { kind: "refused"; reason: string; reasonCode: "no_endpoint" | "policy_denied" };

export interface Lanes {
  readonly all: readonly Lane[];
  askLarge(lane: Lane, text: string, labels: readonly string[], labelsKey: string): Promise<LlmCall<LlmClassification>>;
  walkLanes<T>(
    task: TaskRef,
    tried: TriedTier[],
    estimate: (lane: Lane) => Spend,
    call: (lane: Lane, prepare: (text: string) => string) => Promise<LaneAnswer<T>>,
  ): Promise<WalkOutcome<T>>;
}

const outcomeOf = (err: unknown): "timeout" | "breaker_open" | "error" =>
  err instanceof MeshError && err.code === "E_MODEL_TIMEOUT" ? "timeout" : err instanceof MeshError && err.code === "E_BREAKER_OPEN" ? "breaker_open" : "error";

/** @example const lanes = createLanes({ endpoints, breaker: {}, batch: { maxBatch: 1, maxWaitMs: 10 }, makeLlm: createLlmTier, gate, redact }) */
export function createLanes(opts: LanesOptions): Lanes {
  const { metrics, gate } = opts;
  const lanes: Lane[] = opts.endpoints.map((endpoint) => {
    metrics?.mesh_breaker_state.set({ endpoint: endpoint.name }, 0);
    return {
      endpoint,
      tier: opts.makeLlm(endpoint),
      breaker: createBreaker({
        ...defaultBreakerOptions,
        ...opts.breaker,
        name: endpoint.name,
        isFailure: isTransient,
        onStateChange: (state) => metrics?.mesh_breaker_state.set({ endpoint: endpoint.name }, breakerStateValue[state]),
      }),
      batchers: new Map(),
    };
  });


  /** One large-model classification through the lane's breaker (and batcher when batching is on). */
  const askLarge = (lane: Lane, text: string, labels: readonly string[], labelsKey: string): Promise<LlmCall<LlmClassification>> => {
    if (opts.batch.maxBatch <= 1) return lane.breaker.run(() => lane.tier.classify(text, labels));
    let batcher = lane.batchers.get(labelsKey);
    if (!batcher) {
      batcher = createBatcher<string, LlmCall<LlmClassification>>({
        maxBatch: opts.batch.maxBatch,
        maxWaitMs: opts.batch.maxWaitMs,
        run: async (texts) => {
          const res = await lane.breaker.run(() => lane.tier.classifyBatch(texts, labels));
          // Tokens are shared evenly, so per-task cost adds up to the batch's cost.
          const share = (n: number) => n / texts.length;
          return res.value.map((value) => ({
            value,
            usage: { inputTokens: share(res.usage.inputTokens), outputTokens: share(res.usage.outputTokens) },
            latencyMs: res.latencyMs,
          }));
        },
      });
      lane.batchers.set(labelsKey, batcher);
    }
    return batcher(text);
  };

  /**
   * Walks the endpoints in order until one answers. An open breaker or a transport failure moves on and is
   * remembered: if no endpoint answers, the first such error is thrown (transient: the task parks). A gate
   * refusal moves on with the gate's reason; refusals everywhere end in "refused" (a human decides). An answer
   * that breaks the schema stops the walk as "invalid". `call` gets the lane and what the gate asked of the text;
   * `estimate` says what a call to the lane may cost at most, for the budgets the gate holds it to.
   */
  async function walkLanes<T>(
    task: TaskRef,
    tried: TriedTier[],
    estimate: (lane: Lane) => Spend,
    call: (lane: Lane, prepare: (text: string) => string) => Promise<LaneAnswer<T>>,
  ): Promise<WalkOutcome<T>> {
    let transient: TransientError | null = null;
    const denials: string[] = [];
    for (const lane of lanes) {
      const ep = lane.endpoint;
      const skip = (error: string) => tried.push({ tier: "large", model: ep.model, label: null, confidence: 0, error });
      if (lane.breaker.state === "open") {
        metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "breaker_open" });
        const retryInMs = lane.breaker.retryInMs;
        transient ??= new TransientError("E_BREAKER_OPEN", `endpoint ${ep.name}: circuit open, retry in ${Math.ceil(retryInMs / 1000)} s`, {
          endpoint: ep.name,
          retryInMs,
        });
        skip("breaker open");
        continue;
      }
      try {
        const spend = { estimate: estimate(lane), actual: (a: LaneAnswer<T>) => ({ usd: a.costUsd, tokens: a.tokens }) };
        const g = await gate.invoke({ tier: "large", model: ep.model, modelVersion: ep.model, endpoint: ep.name, region: ep.region, trusted: ep.trusted, task, spend }, (redact) =>
          call(lane, (text) => (redact ? opts.redact(text) : text)),
        );
        if (!g.allowed) {
          denials.push(`${ep.name}: ${g.message}`);
          skip(`policy: ${g.message}`);
          continue;
        }
        const { value, costUsd, cached } = g.value;
        return { kind: "answer", lane, value, costUsd, cached };
      } catch (err) {
        metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: outcomeOf(err) });
        if (err instanceof ModelOutputError) {
          skip(err.message);
          return { kind: "invalid", lane, error: err };
        }
        const e = err instanceof TransientError ? err : new TransientError("E_MODEL_ERROR", `endpoint ${ep.name}: ${(err as Error).message}`);
        transient ??= e;
        skip(e.message);
      }
    }
    if (transient) throw transient;
    return lanes.length === 0
      ? { kind: "refused", reason: "no large-model endpoint configured", reasonCode: "no_endpoint" }
      : { kind: "refused", reason: `no endpoint allowed: ${denials.join("; ")}`, reasonCode: "policy_denied" };
  }

  return { all: lanes, askLarge, walkLanes };
}
