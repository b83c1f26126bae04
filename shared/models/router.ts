import { z } from "zod";
import { MeshError, SchemaError, describeIssues } from "../errors/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import { createModelCache, defaultCacheOptions } from "./cache.js";
import { createCostMeter, type CostMeter } from "./cost-meter.js";
import { createLanes, type Lane } from "./lanes.js";
import { routeKey, thresholdsFor, thresholdsSchema, tightened, type Tighten } from "./routing-policy.js";
import { spendReserveSchema, worstCaseSpend, type Spend } from "./spend.js";
import { createLlmTier, endpointSchema, type EndpointConfig, type LlmCall, type LlmClassification, type LlmTier } from "./llm-tier.js";
import type { LocalClassifier } from "./local-classifier.js";

/**
 * cache → small local model → large model(s) → human, by calibrated per-flow thresholds. Policy decides
 * every model call through the injected gate (this folder never imports policy); text leaving for an
 * endpoint the gate marks `redact` passes through the injected redactor first.
 */
export interface ModelGateRequest<T = unknown> {
  readonly tier: string;
  readonly model: string;
  /** What the audit record should name: the small model's content hash, or the endpoint's model id. */
  readonly modelVersion: string;
  readonly endpoint: string;
  readonly region: string;
  readonly trusted: boolean;
  readonly task: TaskRef;
  /** For a call that costs money: its worst case (reserved against budgets before it runs) and what it did cost. */
  readonly spend?: { readonly estimate: Spend; actual(value: T): Spend };
}

export type GateOutcome<T> =
  | { readonly allowed: true; readonly value: T }
  | { readonly allowed: false; readonly reasons: readonly string[]; readonly message: string };

/**
 * The caller's policy door: `invoke` runs `call` as one policy-checked, audited model call (with `redact` true
 * when the text must be scrubbed before it leaves, and the bars the policy raised for this call), or answers a
 * refusal without running it.
 */
export interface ModelGate {
  invoke<T>(req: ModelGateRequest<T>, call: (redact: boolean, tighten?: Tighten) => Promise<T>): Promise<GateOutcome<T>>;
}

export interface TaskRef {
  readonly id: string;
  readonly flow: string;
  readonly region: string;
  /** Whatever the caller attaches (its policy facts); handed back to the gate untouched with every request. */
  readonly context?: unknown;
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
  /** The worst case a large-model call reserves against the policy's budgets before it runs. */
  spendReserve: spendReserveSchema.default(spendReserveSchema.parse({})),
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
  breakerStates(): Record<string, string>;
  /** Hot-loads a new small-model version; cached answers are keyed by version, so none of the old ones is served. */
  swapClassifier(name: string, model: LocalClassifier): void;
}

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

  const { all: lanes, askLarge, walkLanes } = createLanes({
    endpoints: config.endpoints,
    breaker: config.breaker,
    batch: config.batch,
    makeLlm: deps.llm ?? createLlmTier,
    gate,
    redact: deps.redact,
    ...(metrics ? { metrics } : {}),
  });

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

  /** Counts a successful large-model call and books its cost to the task; returns what it cost. */
  const booked = (lane: Lane, task: TaskRef, res: LlmCall<unknown>): { costUsd: number; tokens: number } => {
    const model = lane.endpoint.model;
    metrics?.mesh_model_requests_total.inc({ tier: "large", model, outcome: "ok" });
    metrics?.mesh_model_latency_seconds.observe({ tier: "large", model }, res.latencyMs / 1000);
    const costUsd = costMeter.record({ flow: task.flow, tier: "large", endpoint: lane.endpoint, usage: res.usage });
    return { costUsd, tokens: res.usage.inputTokens + res.usage.outputTokens };
  };
  const free = { costUsd: 0, tokens: 0, cached: true };

  return {
    breakerStates: () => Object.fromEntries(lanes.map((l) => [l.endpoint.name, l.breaker.state])),
    swapClassifier(name, model) {
      classifiers[name] = model;
    },

    async classify(classifier, text, task) {
      const small = classifiers[classifier];
      if (!small) throw new MeshError("E_CONFIG", `classify: classifier "${classifier}" is not loaded (have: ${Object.keys(classifiers).join(", ") || "none"})`);
      const flowBars = thresholdsFor(config, small, task.flow);
      const models = lanes.map((l) => l.endpoint.model);
      // The bars hold only once the policy has spoken (drift may raise them), so the routed-answer cache is asked
      // inside the small model's call, under the key of the bars that apply now.
      let thresholds = flowBars;
      let routeVersion = routeKey(classifier, small, thresholds, models);
      const smallGate = await gate.invoke({ tier: "small", model: small.name, modelVersion: small.version, endpoint: "local", region: task.region, trusted: true, task }, async (_redact, tighten) => {
        thresholds = tightened(flowBars, tighten);
        routeVersion = routeKey(classifier, small, thresholds, models);
        const hit = decisions.get("route", routeVersion, text);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "route", result: hit ? "hit" : "miss" });
        if (hit) return { hit };
        const started = performance.now();
        const prediction = small.predict(text);
        metrics?.mesh_model_latency_seconds.observe({ tier: "small", model: small.name }, (performance.now() - started) / 1000);
        metrics?.mesh_model_requests_total.inc({ tier: "small", model: small.name, outcome: "ok" });
        return { prediction };
      });
      if (smallGate.allowed && smallGate.value.hit) {
        const hit = smallGate.value.hit;
        metrics?.mesh_model_requests_total.inc({ tier: "cache", model: hit.model, outcome: "cache_hit" });
        return settle({ ...hit, tier: "cache", cached: true, costUsd: 0 }, task.flow);
      }

      const tried: TriedTier[] = [];
      let best: { label: string; confidence: number } | null = null;
      if (smallGate.allowed && smallGate.value.prediction) {
        const p = smallGate.value.prediction;
        tried.push({ tier: "small", model: `${small.name}@${small.version}`, label: p.label, confidence: p.confidence });
        best = p;
        if (p.confidence >= thresholds.small) {
          const result: ClassifyResult = {
            decision: "accept",
            label: p.label,
            confidence: p.confidence,
            tier: "small",
            model: small.name,
            modelVersion: small.version,
            cached: false,
            tried,
            costUsd: 0,
          };
          decisions.set("route", routeVersion, text, result);
          return settle(result, task.flow);
        }
      } else if (!smallGate.allowed) {
        tried.push({ tier: "small", model: small.name, label: null, confidence: 0, error: `policy: ${smallGate.message}` });
      }

      const labelsKey = `${classifier}@${small.version}`;
      const worstCase = (lane: Lane) => worstCaseSpend(lane.endpoint, config.spendReserve, [text, ...small.labels], config.spendReserve.classifyOutputTokens);
      const outcome = await walkLanes<LlmClassification>(task, tried, worstCase, async (lane, prepare) => {
        const outbound = prepare(text);
        const known = answers.get("large", lane.endpoint.model, outbound);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "large", result: known ? "hit" : "miss" });
        if (known) {
          metrics?.mesh_model_requests_total.inc({ tier: "large", model: lane.endpoint.model, outcome: "cache_hit" });
          return { value: known, ...free };
        }
        const res = await askLarge(lane, outbound, small.labels, labelsKey);
        answers.set("large", lane.endpoint.model, outbound, res.value);
        return { value: res.value, ...booked(lane, task, res), cached: false };
      });

      const smallSaid = `${small.name} ${best ? best.confidence.toFixed(2) : "n/a"} < ${thresholds.small.toFixed(2)}`;
      const toHuman = (fields: Pick<ClassifyResult, "label" | "confidence" | "model" | "modelVersion" | "costUsd" | "reason" | "reasonCode">) =>
        settle({ decision: "escalate", tier: "human", cached: false, tried, ...fields }, task.flow);
      if (outcome.kind === "refused")
        return toHuman({
          label: best?.label ?? null,
          confidence: best?.confidence ?? 0,
          model: small.name,
          modelVersion: small.version,
          costUsd: 0,
          reason: `low confidence (${smallSaid}) and ${outcome.reason}`,
          reasonCode: outcome.reasonCode,
        });
      const model = outcome.lane.endpoint.model;
      if (outcome.kind === "invalid")
        return toHuman({
          label: best?.label ?? null,
          confidence: best?.confidence ?? 0,
          model,
          modelVersion: model,
          costUsd: 0,
          reason: `${model} gave an answer outside the allowed labels; a human decides`,
          reasonCode: "invalid_model_output",
        });
      const answer = outcome.value;
      tried.push({ tier: "large", model, label: answer.label, confidence: answer.confidence });
      if (answer.confidence < thresholds.large)
        return toHuman({
          label: answer.label,
          confidence: answer.confidence,
          model,
          modelVersion: model,
          costUsd: outcome.costUsd,
          reason: `low confidence: ${smallSaid}, ${model} ${answer.confidence.toFixed(2)} < ${thresholds.large.toFixed(2)}`,
          reasonCode: "low_confidence",
        });
      const result: ClassifyResult = {
        decision: "accept",
        label: answer.label,
        confidence: answer.confidence,
        tier: "large",
        model,
        modelVersion: model,
        cached: outcome.cached,
        tried,
        costUsd: outcome.costUsd,
      };
      decisions.set("route", routeVersion, text, result);
      return settle(result, task.flow);
    },

    async draft(req, task) {
      const worstCase = (lane: Lane) =>
        worstCaseSpend(lane.endpoint, config.spendReserve, [req.text, req.intent, req.instructions ?? ""], config.spendReserve.draftOutputTokens);
      const outcome = await walkLanes<string>(task, [], worstCase, async (lane, prepare) => {
        const outbound = { ...req, text: prepare(req.text) };
        const key = `${outbound.intent}\n${outbound.instructions ?? ""}\n${outbound.text}`;
        const known = drafts.get("draft", lane.endpoint.model, key);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "draft", result: known ? "hit" : "miss" });
        if (known) return { value: known.text, ...free };
        const res = await lane.breaker.run(() => lane.tier.draft(outbound));
        drafts.set("draft", lane.endpoint.model, key, { text: res.value });
        return { value: res.value, ...booked(lane, task, res), cached: false };
      });
      if (outcome.kind === "refused") return { text: null, model: "", endpoint: null, cached: false, costUsd: 0, reason: outcome.reason, reasonCode: outcome.reasonCode };
      const meta = { model: outcome.lane.endpoint.model, endpoint: outcome.lane.endpoint.name };
      if (outcome.kind === "invalid")
        return { text: null, ...meta, cached: false, costUsd: 0, reason: outcome.error.message, reasonCode: "invalid_model_output" };
      return checked(outcome.value, { ...meta, cached: outcome.cached, costUsd: outcome.costUsd });
    },
  };
}
