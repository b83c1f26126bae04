import { z } from "zod";
import { MeshError, SchemaError, TransientError, describeIssues, isTransient } from "../errors/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import { createBatcher, type Batcher } from "./batcher.js";
import { breakerStateValue, createBreaker, defaultBreakerOptions, type Breaker } from "./breaker.js";
import { createModelCache, defaultCacheOptions } from "./cache.js";
import { createCostMeter, type CostMeter } from "./cost-meter.js";
import { ModelOutputError, createLlmTier, endpointSchema, type EndpointConfig, type LlmCall, type LlmClassification, type LlmTier } from "./llm-tier.js";
import type { LocalClassifier } from "./local-classifier.js";

/**
 * cache → small local model → large model(s) → human, by calibrated per-flow thresholds. Policy decides
 * every model call through the injected gate (this folder never imports policy); text leaving for an
 * endpoint the gate marks `redact` passes through the injected redactor first.
 */
export interface ModelGateRequest {
  readonly tier: string;
  readonly model: string;
  /** What the audit record should name: the small model's content hash, or the endpoint's model id. */
  readonly modelVersion: string;
  readonly endpoint: string;
  readonly region: string;
  readonly trusted: boolean;
  readonly task: TaskRef;
}

export interface ModelGate {
  authorize(req: ModelGateRequest): Promise<{ allowed: boolean; reasons: readonly string[]; message: string; redact: boolean }>;
}

export interface TaskRef {
  readonly id: string;
  readonly flow: string;
  readonly region: string;
}

export type Tier = "cache" | "small" | "large" | "human";

export interface TriedTier {
  readonly tier: string;
  readonly model: string;
  readonly label: string | null;
  readonly confidence: number;
  readonly error?: string;
}

export interface ClassifyResult {
  readonly decision: "accept" | "escalate";
  readonly label: string | null;
  readonly confidence: number;
  readonly tier: Tier;
  readonly model: string;
  readonly modelVersion: string;
  readonly cached: boolean;
  readonly tried: readonly TriedTier[];
  readonly costUsd: number;
  readonly reason?: string;
  readonly reasonCode?: string;
}

export interface DraftResult {
  /** null when no endpoint was allowed to draft, or the draft failed the output checks (reason says why). */
  readonly text: string | null;
  readonly model: string;
  readonly endpoint: string | null;
  readonly cached: boolean;
  readonly costUsd: number;
  readonly reason?: string;
  readonly reasonCode?: string;
}

const thresholdsSchema = z.object({
  /** Accept the small model at or above this calibrated confidence; default: the threshold its artifact carries. */
  small: z.number().min(0).max(1.0001).optional(),
  /** Accept the large model at or above this confidence; below it a human decides. */
  large: z.number().min(0).max(1).optional(),
});

export const routerConfigSchema = z.object({
  endpoints: z.array(endpointSchema).default([]),
  thresholds: thresholdsSchema.default({}),
  /** Per-flow overrides, e.g. a stricter bar for flows with costly mistakes. */
  flows: z.record(z.string(), thresholdsSchema).default({}),
  defaultLargeThreshold: z.number().min(0).max(1).default(0.8),
  cache: z
    .object({ maxEntries: z.number().int().positive(), ttlMs: z.number().int().positive() })
    .default(defaultCacheOptions),
  breaker: z
    .object({
      windowSize: z.number().int().positive(),
      minCalls: z.number().int().positive(),
      errorRateToOpen: z.number().min(0).max(1),
      slowCallMs: z.number().int().positive(),
      slowRateToOpen: z.number().min(0).max(1),
      openMs: z.number().int().positive(),
    })
    .partial()
    .default({}),
  /** Micro-batching of large-model classification across concurrent tasks; maxBatch 1 turns it off. */
  batch: z.object({ maxBatch: z.number().int().min(1).max(64), maxWaitMs: z.number().int().min(0) }).default({ maxBatch: 1, maxWaitMs: 10 }),
});
export type RouterConfig = z.input<typeof routerConfigSchema>;

export interface RouterDeps {
  /** Small models by classifier name (e.g. "ticket-intent"). */
  readonly classifiers: Readonly<Record<string, LocalClassifier>>;
  readonly gate: ModelGate;
  readonly redact: (text: string) => string;
  readonly metrics?: MeshMetrics;
  readonly costMeter?: CostMeter;
  /**
   * Output checks on a drafted reply before anyone sees it (policy's PII and content checks, injected so this
   * folder stays free of policy). `text` may come back redacted; `allowed: false` withholds the draft.
   */
  readonly checkOutput?: (text: string) => { allowed: boolean; text: string; reasons: readonly string[] };
  /** Builds the client for an endpoint; tests and the demo use the real ChatOpenAI against the stand-in. */
  readonly llm?: (endpoint: EndpointConfig) => LlmTier;
}

export interface Router {
  classify(classifier: string, text: string, task: TaskRef): Promise<ClassifyResult>;
  draft(req: { text: string; intent: string; instructions?: string }, task: TaskRef): Promise<DraftResult>;
  readonly costMeter: CostMeter;
  breakerStates(): Record<string, string>;
  /** Hot-loads a new small-model version; cached answers are keyed by version, so none of the old ones is served. */
  swapClassifier(name: string, model: LocalClassifier): void;
}

interface Lane {
  readonly endpoint: EndpointConfig;
  readonly tier: LlmTier;
  readonly breaker: Breaker;
  readonly batchers: Map<string, Batcher<string, LlmCall<LlmClassification>>>;
}

const outcomeOf = (err: unknown): "timeout" | "breaker_open" | "error" =>
  err instanceof MeshError && err.code === "E_MODEL_TIMEOUT" ? "timeout" : err instanceof MeshError && err.code === "E_BREAKER_OPEN" ? "breaker_open" : "error";

/** @example const router = createRouter({ endpoints: [openaiEu] }, { classifiers: { "ticket-intent": model }, gate, redact }) */
export function createRouter(input: RouterConfig, deps: RouterDeps): Router {
  const parsed = routerConfigSchema.safeParse(input);
  if (!parsed.success) throw new SchemaError(`model router config: ${describeIssues(parsed.error.issues)}`);
  const config = parsed.data;
  const { metrics, gate } = deps;
  const costMeter = deps.costMeter ?? createCostMeter(metrics ? { metrics } : {});
  const classifiers: Record<string, LocalClassifier> = { ...deps.classifiers };
  const decisions = createModelCache<ClassifyResult>(config.cache);
  const answers = createModelCache<LlmClassification>(config.cache);
  const drafts = createModelCache<{ text: string }>(config.cache);
  const makeLlm = deps.llm ?? createLlmTier;

  const lanes: Lane[] = config.endpoints.map((endpoint) => {
    metrics?.mesh_breaker_state.set({ endpoint: endpoint.name }, 0);
    return {
      endpoint,
      tier: makeLlm(endpoint),
      breaker: createBreaker({
        ...defaultBreakerOptions,
        ...config.breaker,
        name: endpoint.name,
        isFailure: isTransient,
        onStateChange: (state) => metrics?.mesh_breaker_state.set({ endpoint: endpoint.name }, breakerStateValue[state]),
      }),
      batchers: new Map(),
    };
  });

  const thresholdsFor = (small: LocalClassifier, flow: string) => ({
    small: config.flows[flow]?.small ?? config.thresholds.small ?? small.threshold?.value ?? 1.0001,
    large: config.flows[flow]?.large ?? config.thresholds.large ?? config.defaultLargeThreshold,
  });

  /** One large-model classification through the lane's breaker (and batcher when batching is on). */
  const askLarge = (lane: Lane, text: string, labels: readonly string[], labelsKey: string): Promise<LlmCall<LlmClassification>> => {
    if (config.batch.maxBatch <= 1) return lane.breaker.run(() => lane.tier.classify(text, labels));
    let batcher = lane.batchers.get(labelsKey);
    if (!batcher) {
      batcher = createBatcher<string, LlmCall<LlmClassification>>({
        maxBatch: config.batch.maxBatch,
        maxWaitMs: config.batch.maxWaitMs,
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

  const checked = (text: string, meta: Omit<DraftResult, "text">): DraftResult => {
    if (!deps.checkOutput) return { text, ...meta };
    const verdict = deps.checkOutput(text);
    if (verdict.allowed) return { text: verdict.text, ...meta };
    return { text: null, ...meta, reason: `draft withheld by output checks: ${verdict.reasons.join(", ")}`, reasonCode: "output_rejected" };
  };

  const settle = (result: ClassifyResult, flow: string): ClassifyResult => {
    metrics?.mesh_router_decisions_total.inc({ flow, tier: result.tier });
    return result;
  };

  return {
    costMeter,
    breakerStates: () => Object.fromEntries(lanes.map((l) => [l.endpoint.name, l.breaker.state])),
    swapClassifier(name, model) {
      classifiers[name] = model;
    },

    async classify(classifier, text, task) {
      const small = classifiers[classifier];
      if (!small) throw new MeshError("E_CONFIG", `classify: classifier "${classifier}" is not loaded (have: ${Object.keys(classifiers).join(", ") || "none"})`);
      const thresholds = thresholdsFor(small, task.flow);
      const routeVersion = `${classifier}@${small.version}|${thresholds.small}|${thresholds.large}|${lanes.map((l) => l.endpoint.model).join(",")}`;

      const hit = decisions.get("route", routeVersion, text);
      metrics?.mesh_model_cache_requests_total.inc({ tier: "route", result: hit ? "hit" : "miss" });
      if (hit) {
        metrics?.mesh_model_requests_total.inc({ tier: "cache", model: hit.model, outcome: "cache_hit" });
        return settle({ ...hit, tier: "cache", cached: true, costUsd: 0 }, task.flow);
      }

      const tried: TriedTier[] = [];
      let best: { label: string; confidence: number } | null = null;
      const accept = (r: Omit<ClassifyResult, "decision" | "cached" | "tried">): ClassifyResult => {
        const result: ClassifyResult = { ...r, decision: "accept", cached: false, tried };
        decisions.set("route", routeVersion, text, result);
        return settle(result, task.flow);
      };

      const smallGate = await gate.authorize({ tier: "small", model: small.name, modelVersion: small.version, endpoint: "local", region: task.region, trusted: true, task });
      if (smallGate.allowed) {
        const started = performance.now();
        const p = small.predict(text);
        metrics?.mesh_model_latency_seconds.observe({ tier: "small", model: small.name }, (performance.now() - started) / 1000);
        metrics?.mesh_model_requests_total.inc({ tier: "small", model: small.name, outcome: "ok" });
        tried.push({ tier: "small", model: `${small.name}@${small.version}`, label: p.label, confidence: p.confidence });
        best = p;
        if (p.confidence >= thresholds.small)
          return accept({ label: p.label, confidence: p.confidence, tier: "small", model: small.name, modelVersion: small.version, costUsd: 0 });
      } else {
        tried.push({ tier: "small", model: small.name, label: null, confidence: 0, error: `policy: ${smallGate.message}` });
      }

      const labels = small.labels;
      const labelsKey = `${classifier}@${small.version}`;
      let transient: TransientError | null = null;
      const denials: string[] = [];
      let costUsd = 0;
      for (const lane of lanes) {
        const ep = lane.endpoint;
        if (lane.breaker.state === "open") {
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "breaker_open" });
          transient ??= new TransientError("E_BREAKER_OPEN", `endpoint ${ep.name}: circuit open, retry in ${Math.ceil(lane.breaker.retryInMs / 1000)} s`, {
            endpoint: ep.name,
            retryInMs: lane.breaker.retryInMs,
          });
          tried.push({ tier: "large", model: ep.model, label: null, confidence: 0, error: "breaker open" });
          continue;
        }
        const g = await gate.authorize({ tier: "large", model: ep.model, modelVersion: ep.model, endpoint: ep.name, region: ep.region, trusted: ep.trusted, task });
        if (!g.allowed) {
          denials.push(`${ep.name}: ${g.message}`);
          tried.push({ tier: "large", model: ep.model, label: null, confidence: 0, error: `policy: ${g.message}` });
          continue;
        }
        const outbound = g.redact ? deps.redact(text) : text;
        let answer = answers.get("large", ep.model, outbound);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "large", result: answer ? "hit" : "miss" });
        if (answer) {
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "cache_hit" });
        } else {
          try {
            const res = await askLarge(lane, outbound, labels, labelsKey);
            metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "ok" });
            metrics?.mesh_model_latency_seconds.observe({ tier: "large", model: ep.model }, res.latencyMs / 1000);
            costUsd += costMeter.record({ flow: task.flow, taskId: task.id, tier: "large", endpoint: ep, usage: res.usage });
            answer = res.value;
            answers.set("large", ep.model, outbound, answer);
          } catch (err) {
            metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: outcomeOf(err) });
            if (err instanceof ModelOutputError) {
              tried.push({ tier: "large", model: ep.model, label: null, confidence: 0, error: err.message });
              return settle(
                {
                  decision: "escalate",
                  label: best?.label ?? null,
                  confidence: best?.confidence ?? 0,
                  tier: "human",
                  model: ep.model,
                  modelVersion: ep.model,
                  cached: false,
                  tried,
                  costUsd,
                  reason: `${ep.model} gave an answer outside the allowed labels; a human decides`,
                  reasonCode: "invalid_model_output",
                },
                task.flow,
              );
            }
            const e = err instanceof TransientError ? err : new TransientError("E_MODEL_ERROR", `endpoint ${ep.name}: ${(err as Error).message}`);
            transient ??= e;
            tried.push({ tier: "large", model: ep.model, label: null, confidence: 0, error: e.message });
            continue;
          }
        }
        tried.push({ tier: "large", model: ep.model, label: answer.label, confidence: answer.confidence });
        if (answer.confidence >= thresholds.large)
          return accept({ label: answer.label, confidence: answer.confidence, tier: "large", model: ep.model, modelVersion: ep.model, costUsd });
        return settle(
          {
            decision: "escalate",
            label: answer.label,
            confidence: answer.confidence,
            tier: "human",
            model: ep.model,
            modelVersion: ep.model,
            cached: false,
            tried,
            costUsd,
            reason: `low confidence: ${small.name} ${best ? best.confidence.toFixed(2) : "n/a"} < ${thresholds.small.toFixed(2)}, ${ep.model} ${answer.confidence.toFixed(2)} < ${thresholds.large.toFixed(2)}`,
            reasonCode: "low_confidence",
          },
          task.flow,
        );
      }

      // No endpoint answered. If one may recover, park the task (transient); if policy refused them all, a human decides.
      if (transient) throw transient;
      const reasonCode = lanes.length === 0 ? "no_endpoint" : "policy_denied";
      return settle(
        {
          decision: "escalate",
          label: best?.label ?? null,
          confidence: best?.confidence ?? 0,
          tier: "human",
          model: small.name,
          modelVersion: small.version,
          cached: false,
          tried,
          costUsd,
          reason:
            lanes.length === 0
              ? `low confidence (${best ? best.confidence.toFixed(2) : "n/a"} < ${thresholds.small.toFixed(2)}) and no large-model endpoint configured`
              : `low confidence and no endpoint allowed: ${denials.join("; ")}`,
          reasonCode,
        },
        task.flow,
      );
    },

    async draft(req, task) {
      let transient: TransientError | null = null;
      const denials: string[] = [];
      for (const lane of lanes) {
        const ep = lane.endpoint;
        if (lane.breaker.state === "open") {
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "breaker_open" });
          transient ??= new TransientError("E_BREAKER_OPEN", `endpoint ${ep.name}: circuit open`, { endpoint: ep.name, retryInMs: lane.breaker.retryInMs });
          continue;
        }
        const g = await gate.authorize({ tier: "large", model: ep.model, modelVersion: ep.model, endpoint: ep.name, region: ep.region, trusted: ep.trusted, task });
        if (!g.allowed) {
          denials.push(`${ep.name}: ${g.message}`);
          continue;
        }
        const outbound = { ...req, text: g.redact ? deps.redact(req.text) : req.text };
        const key = `${outbound.intent}\n${outbound.instructions ?? ""}\n${outbound.text}`;
        const hit = drafts.get("draft", ep.model, key);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "draft", result: hit ? "hit" : "miss" });
        if (hit) return checked(hit.text, { model: ep.model, endpoint: ep.name, cached: true, costUsd: 0 });
        try {
          const res = await lane.breaker.run(() => lane.tier.draft(outbound));
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: "ok" });
          metrics?.mesh_model_latency_seconds.observe({ tier: "large", model: ep.model }, res.latencyMs / 1000);
          const costUsd = costMeter.record({ flow: task.flow, taskId: task.id, tier: "large", endpoint: ep, usage: res.usage });
          drafts.set("draft", ep.model, key, { text: res.value });
          return checked(res.value, { model: ep.model, endpoint: ep.name, cached: false, costUsd });
        } catch (err) {
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: ep.model, outcome: outcomeOf(err) });
          transient ??= err instanceof TransientError ? err : new TransientError("E_MODEL_ERROR", `endpoint ${ep.name}: ${(err as Error).message}`);
        }
      }
      if (transient) throw transient;
      const reasonCode = lanes.length === 0 ? "no_endpoint" : "policy_denied";
      return {
        text: null,
        model: "",
        endpoint: null,
        cached: false,
        costUsd: 0,
        reason: lanes.length === 0 ? "no large-model endpoint configured" : `no endpoint allowed: ${denials.join("; ")}`,
        reasonCode,
      };
    },
  };
}
