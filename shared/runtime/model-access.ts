import { z } from "zod";
import {
  createRouter,
  endpointSchema,
  loadShippedClassifiers,
  routerConfigSchema,
  type ClassifyResult,
  type DraftResult,
  type Router,
} from "../models/index.js";
import { MeshError, PolicyDeniedError, describeIssues } from "../errors/index.js";
import type { MeshMetrics } from "../telemetry/index.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { redactText } from "../../policy/pii/index.js";
import { screenPrompt } from "../../policy/screening/index.js";
import type { AgentConfig } from "./config.js";
import { taskFacts } from "./messages.js";
import type { PolicyGate } from "./policy-gate.js";

export type { ClassifyResult, DraftResult };

export interface DraftRequest {
  readonly text: string;
  readonly intent: string;
  readonly instructions?: string;
}

interface Call {
  readonly task: TaskEnvelope;
  readonly traceId: string;
  readonly screening: { readonly score: number; readonly rules: readonly string[] };
}

/** The model endpoints an agent may use: MODEL_ENDPOINTS (JSON), else one from OPENAI_* when a key is set. */
export function modelEndpoints(config: AgentConfig): z.infer<typeof endpointSchema>[] {
  if (config.modelEndpoints) {
    let raw: unknown;
    try {
      raw = JSON.parse(config.modelEndpoints);
    } catch (err) {
      throw new MeshError("E_CONFIG", `MODEL_ENDPOINTS: not JSON (${(err as Error).message})`);
    }
    const parsed = z.array(endpointSchema).safeParse(raw);
    if (!parsed.success) throw new MeshError("E_CONFIG", `MODEL_ENDPOINTS: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  }
  if (!config.openaiApiKey && !config.openaiBaseUrl) return [];
  return [
    endpointSchema.parse({
      name: "openai",
      baseUrl: config.openaiBaseUrl ?? "https://api.openai.com/v1",
      apiKey: config.openaiApiKey ?? "not-needed",
      model: config.openaiModel,
      region: config.llmRegion ?? config.region,
      trusted: false,
      priceUsdPer1kInputTokens: config.llmPriceUsdPer1kInputTokens,
      priceUsdPer1kOutputTokens: config.llmPriceUsdPer1kOutputTokens,
    }),
  ];
}

/**
 * Model calls for one agent process. The router (and the small models it loads) is built on first use, so
 * agents that never call a model pay nothing. Every endpoint the router wants to reach is put to the policy
 * gate as `model.invoke` with the task's facts and a prompt-injection screening score, and audited there.
 */
export class ModelAccess {
  private router: Router | undefined;
  constructor(
    private readonly config: AgentConfig,
    private readonly gate: PolicyGate,
    private readonly metrics: MeshMetrics,
  ) {}

  private routerFor(call: Call): Router {
    // One router per process; the gate reads the task of the call in flight from `current`.
    this.current.set(call.task.id, call);
    if (this.router) return this.router;
    const config = routerConfigSchema.parse({ ...(this.config.modelRouting ? JSON.parse(this.config.modelRouting) : {}), endpoints: modelEndpoints(this.config) });
    this.router = createRouter(config, {
      classifiers: loadShippedClassifiers(),
      metrics: this.metrics,
      redact: (text) => redactText(text).text,
      gate: {
        authorize: async (req) => {
          const call = this.current.get(req.task.id);
          if (!call) throw new Error(`model gate: no task ${req.task.id} in flight`);
          try {
            const decision = await this.gate.authorize({
              action: "model.invoke",
              resource: { endpoint: req.endpoint, model: req.model, region: req.region, trusted: req.trusted },
              context: { task: taskFacts(call.task), screening: call.screening },
              region: call.task.region,
              traceId: call.traceId,
            });
            return { allowed: true, reasons: decision.reasons, message: decision.message, redact: decision.obligations.some((o) => o.kind === "redact") };
          } catch (err) {
            if (!(err instanceof PolicyDeniedError)) throw err;
            return { allowed: false, reasons: err.reasons, message: err.message, redact: true };
          }
        },
      },
    });
    return this.router;
  }

  private readonly current = new Map<string, Call>();

  async classify(task: TaskEnvelope, traceId: string, classifier: string, text: string): Promise<ClassifyResult> {
    const router = this.routerFor({ task, traceId, screening: screenPrompt(text) });
    try {
      return await router.classify(classifier, text, { id: task.id, flow: task.flow, region: task.region });
    } finally {
      this.current.delete(task.id);
    }
  }

  async draft(task: TaskEnvelope, traceId: string, req: DraftRequest): Promise<DraftResult> {
    const router = this.routerFor({ task, traceId, screening: screenPrompt(req.text) });
    try {
      return await router.draft(req, { id: task.id, flow: task.flow, region: task.region });
    } finally {
      this.current.delete(task.id);
    }
  }

  get costMeter() {
    return this.router?.costMeter;
  }
}
