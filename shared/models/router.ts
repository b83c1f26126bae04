import { MeshError, SchemaError, describeIssues } from "../errors/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import { createModelCache } from "./cache.js";
import { createCostMeter, type CostMeter } from "./cost-meter.js";
import { createDrafter, type DraftResult } from "./drafter.js";
import { createFieldReader, type FieldsResult } from "./field-reader.js";
import { createLanes, type Lane } from "./lanes.js";
import { configuredLargeBar, routeKey, thresholdsFor, tightened, type Tighten } from "./routing-policy.js";
import { judgeLargeAnswer, type LlmCalibration } from "./llm-calibration.js";
import { routerConfigSchema, type RouterConfig } from "./router-config.js";
import { worstCaseSpend } from "./spend.js";
import { createLlmTier, type EndpointConfig, type FieldsRequest, type LlmCall, type LlmClassification, type LlmTier } from "./llm-tier.js";
import type { LocalClassifier } from "./local-classifier.js";
import type { ModelGate, TaskRef, TriedTier } from "./model-gate.js";

export type { GateOutcome, ModelGate, ModelGateRequest, TaskRef, TriedTier } from "./model-gate.js";
export type { DraftResult } from "./drafter.js";
export type { FieldsResult } from "./field-reader.js";

/**
 * cache → small local model → large model(s) → human, by calibrated per-flow thresholds: the composition of the
 * tiers (local-classifier, lanes), the caches, the routing policy (routing-policy), the policy gate (model-gate),
 * spend (spend, cost-meter) and the drafter. Policy decides every model call through the injected gate; text
 * leaving for an endpoint the gate marks `redact` passes through the injected redactor first.
 */
export type Tier = "cache" | "small" | "large" | "human";

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


export { routerConfigSchema, type RouterConfig } from "./router-config.js";

export interface RouterDeps {
  /** Small models by classifier name (e.g. "ticket-intent"). */
  readonly classifiers: Readonly<Record<string, LocalClassifier>>;
  readonly gate: ModelGate;
  /** PII redaction: of text bound for an endpoint policy marks `redact`, and always of the small model's input. */
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
  /** Large models' confidence calibrated from reviewer outcomes (llm-calibration.ts); without it, reported confidence. */
  readonly llmCalibration?: LlmCalibration;
}

export interface Router {
  classify(classifier: string, text: string, task: TaskRef): Promise<ClassifyResult>;
  draft(req: { text: string; intent: string; instructions?: string }, task: TaskRef): Promise<DraftResult>;
  /** Structured fields from a document's text through an allowed large model; values null when none may answer. */
  readFields(req: FieldsRequest, task: TaskRef): Promise<FieldsResult>;
  breakerStates(): Record<string, string>;
  /** Hot-loads a new small-model version; cached answers are keyed by version, so none of the old ones is served. */
  swapClassifier(name: string, model: LocalClassifier): void;
  /** Hot-loads a new large-model calibration; routed answers are keyed by its version too. */
  swapLlmCalibration(calibration: LlmCalibration): void;
}

/** @example const router = createRouter({ endpoints: [openaiEu] }, { classifiers: { "ticket-intent": model }, gate, redact }) */
export function createRouter(input: RouterConfig, deps: RouterDeps): Router {
  const parsed = routerConfigSchema.safeParse(input);
  if (!parsed.success) throw new SchemaError(`model router config: ${describeIssues(parsed.error.issues)}`);
  const config = parsed.data;
  const { metrics, gate } = deps;
  const costMeter = deps.costMeter ?? createCostMeter(metrics ? { metrics } : {});
  const classifiers: Record<string, LocalClassifier> = { ...deps.classifiers };
  let llmCalibration = deps.llmCalibration;
  const decisions = createModelCache<ClassifyResult>(config.cache);
  const answers = createModelCache<LlmClassification>(config.cache);

  const { all: lanes, askLarge, walkLanes } = createLanes({
    endpoints: config.endpoints,
    breaker: config.breaker,
    batch: config.batch,
    makeLlm: deps.llm ?? createLlmTier,
    gate,
    redact: deps.redact,
    ...(metrics ? { metrics } : {}),
  });

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
    swapLlmCalibration(calibration) {
      llmCalibration = calibration;
    },
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
      let obliged: Tighten | undefined;
      let routeVersion = routeKey(classifier, small, thresholds, models, llmCalibration?.version);
      const smallGate = await gate.invoke({ tier: "small", model: small.name, modelVersion: small.version, endpoint: "local", region: task.region, trusted: true, task }, async (_redact, tighten) => {
        obliged = tighten;
        thresholds = tightened(flowBars, tighten);
        routeVersion = routeKey(classifier, small, thresholds, models, llmCalibration?.version);
        const hit = decisions.get("route", routeVersion, text);
        metrics?.mesh_model_cache_requests_total.inc({ tier: "route", result: hit ? "hit" : "miss" });
        if (hit) return { hit };
        const started = performance.now();
        // The small model reads text as its training labels hold it: reviewer labels are redacted, so serving
        // redacts the same way (a local model needs no redaction to stay private; it needs it to see what it learnt on).
        const prediction = small.predict(deps.redact(text));
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
      const fitted = judgeLargeAnswer(llmCalibration, model, answer.confidence, { configured: configuredLargeBar(config, task.flow), fallback: flowBars.large });
      // A bar the policy obliges (drift) only ever raises the calibrated one.
      const judged = { ...fitted, threshold: Math.max(fitted.threshold, obliged?.large ?? 0) };
      const said = judged.calibration ? `${model} ${answer.confidence.toFixed(2)} (calibrated ${judged.confidence.toFixed(2)} by ${judged.calibration})` : `${model} ${answer.confidence.toFixed(2)}`;
      if (judged.confidence < judged.threshold)
        return toHuman({
          label: answer.label,
          // The reported confidence, not the calibrated one: reviewer outcomes on it are what the calibration is refitted on.
          confidence: answer.confidence,
          model,
          modelVersion: model,
          costUsd: outcome.costUsd,
          reason: `low confidence: ${smallSaid}, ${said} < ${judged.threshold.toFixed(2)}`,
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

    draft: createDrafter({
      cache: config.cache,
      spendReserve: config.spendReserve,
      walkLanes,
      booked,
      ...(deps.checkOutput ? { checkOutput: deps.checkOutput } : {}),
      ...(metrics ? { metrics } : {}),
    }),

    readFields: createFieldReader({ spendReserve: config.spendReserve, walkLanes, booked }),
  };
}
