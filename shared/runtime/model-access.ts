import { z } from "zod";
import type { ClassifyResult, DraftResult, EndpointConfig, LocalClassifier, Router } from "../models/index.js";
import type { ModelStore } from "../bus/index.js";
import { MeshError, PolicyDeniedError, describeIssues } from "../errors/index.js";
import { inSpan, type DriftMonitor, type Logger, type MeshMetrics } from "../telemetry/index.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { redactText } from "../../policy/pii/index.js";
import { screenPrompt } from "../../policy/screening/index.js";
import type { AuditWriter } from "./audit-writer.js";
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

/**
 * The model tiers (LangChain, the small models) load on first use: agents that never call a model, such as
 * ingest and invoice, do not carry them in memory.
 */
const loadModels = () => import("../models/index.js");

/** The model endpoints an agent may use: MODEL_ENDPOINTS (JSON), else one from OPENAI_* when set. */
export async function modelEndpoints(config: AgentConfig): Promise<EndpointConfig[]> {
  const { endpointSchema } = await loadModels();
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
 * Small models follow the model store: a promoted version is hot-loaded, and the switch is audited.
 */
export class ModelAccess {
  private router: Promise<Router> | undefined;
  private readonly watches: { stop(): void }[] = [];

  constructor(
    private readonly config: AgentConfig,
    private readonly gate: PolicyGate,
    private readonly audit: AuditWriter,
    private readonly store: ModelStore | undefined,
    private readonly log: Logger,
    private readonly metrics: MeshMetrics,
    private readonly drift: DriftMonitor,
  ) {}

  /** One router per process, built on first use. */
  private routerOnce(): Promise<Router> {
    this.router ??= this.build();
    return this.router;
  }

  /** The router's view of the task, carrying this call's policy facts back to the gate. */
  private ref(call: Call) {
    return { id: call.task.id, flow: call.task.flow, region: call.task.region, context: call };
  }

  private async build(): Promise<Router> {
    const { classifierFromBytes, createRouter, loadShippedClassifiers, routerConfigSchema } = await loadModels();
    const routing = this.config.modelRouting ? (JSON.parse(this.config.modelRouting) as Record<string, unknown>) : {};
    const classifiers = loadShippedClassifiers();
    const router = createRouter(routerConfigSchema.parse({ ...routing, endpoints: await modelEndpoints(this.config) }), {
      classifiers,
      metrics: this.metrics,
      redact: (text) => redactText(text).text,
      checkOutput: (text) => {
        const { text: clean, findings } = redactText(text);
        return { allowed: true, text: clean, reasons: findings.map((f) => `pii:${f.entity}`) };
      },
      gate: {
        authorize: async (req) => {
          const call = req.task.context as Call;
          try {
            const decision = await this.gate.authorize({
              action: "model.invoke",
              resource: { endpoint: req.endpoint, model: req.model, region: req.region, trusted: req.trusted },
              context: { task: taskFacts(call.task), screening: call.screening },
              region: call.task.region,
              traceId: call.traceId,
              auditDetail: { tier: req.tier, model: req.model, modelVersion: req.modelVersion, endpoint: req.endpoint },
            });
            return { allowed: true, reasons: decision.reasons, message: decision.message, redact: decision.obligations.some((o) => o.kind === "redact") };
          } catch (err) {
            if (!(err instanceof PolicyDeniedError)) throw err;
            return { allowed: false, reasons: err.reasons, message: err.message, redact: true };
          }
        },
      },
    });
    if (this.store) {
      for (const [name, shipped] of Object.entries(classifiers)) {
        const pointer = await this.store.current(name);
        const load = (version: string) => this.load(router, name, version, classifierFromBytes);
        if (pointer && pointer.version !== shipped.version) await load(pointer.version);
        this.watches.push(await this.store.watch(name, (p) => void load(p.version)));
      }
    }
    return router;
  }

  private async load(router: Router, name: string, version: string, fromBytes: (bytes: Uint8Array) => LocalClassifier): Promise<void> {
    try {
      const bytes = await this.store!.get(name, version);
      if (!bytes) throw new Error(`version ${version} is not in the model store`);
      const model = fromBytes(bytes);
      router.swapClassifier(name, model);
      await this.audit.append({ kind: "effect", action: "model.load", effect: "done", region: this.config.region, detail: { model: name, version: model.version } });
      this.log.info({ model: name, version: model.version }, "hot-loaded model version");
    } catch (err) {
      this.log.error({ err, model: name, version }, "could not load model version; keeping the current one");
    }
  }

  async classify(task: TaskEnvelope, traceId: string, classifier: string, text: string): Promise<ClassifyResult> {
    const router = await this.routerOnce();
    const ref = this.ref({ task, traceId, screening: screenPrompt(text) });
    const result = await inSpan(`classify ${classifier}`, { "mesh.classifier": classifier }, () => router.classify(classifier, text, ref), "client");
    // What the model sees and how sure it is: the two distributions whose shift signals drift.
    this.drift.observe(task.flow, "input_length", text.length);
    this.drift.observe(task.flow, "confidence", result.confidence);
    return result;
  }

  async draft(task: TaskEnvelope, traceId: string, req: DraftRequest): Promise<DraftResult> {
    const router = await this.routerOnce();
    const ref = this.ref({ task, traceId, screening: screenPrompt(req.text) });
    return inSpan("draft", { "mesh.intent": req.intent }, () => router.draft(req, ref), "client");
  }

  close(): void {
    for (const w of this.watches) w.stop();
  }
}
