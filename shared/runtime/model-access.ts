import { z } from "zod";
import type { ClassifyResult, DraftResult, EndpointConfig, FieldsRequest, FieldsResult, Router } from "../models/index.js";
import { createHash } from "node:crypto";
import type { ModelStore, StateStore } from "../bus/index.js";
import { MeshError, PolicyDeniedError, describeIssues } from "../errors/index.js";
import { inSpan, type DriftMonitor, type DriftResponse, type Logger, type MeshMetrics } from "../telemetry/index.js";
import type { TaskEnvelope } from "../envelope/index.js";
import { subjects } from "../bus/index.js";
import { redactText } from "../../policy/pii/index.js";
import { screenPrompt } from "../../policy/screening/index.js";
import { promisesIn } from "../../policy/output-checks/index.js";
import type { AgentConfig } from "./config.js";
import type { EffectScope } from "./context.js";

export type { ClassifyResult, DraftResult, FieldsRequest, FieldsResult };

export interface DraftRequest {
  readonly text: string;
  readonly intent: string;
  readonly instructions?: string;
}

interface Call {
  /** The delivery the call belongs to: its facts, trace and door to effects. */
  readonly scope: EffectScope;
  readonly task: TaskEnvelope;
  readonly screening: { readonly score: number; readonly rules: readonly string[] };
}

/** A journaled answer, checked on the way back in: another call made at the same index (changed code) is not reused. */
const journalEntrySchema = z.object({ call: z.string().min(1), result: z.record(z.string(), z.unknown()) });

/** Which call of a delivery this is: the n-th model call a handler makes is the n-th again when it is redelivered. */
function callDigest(kind: string, parts: readonly string[]): string {
  return `${kind}:${createHash("sha256").update(JSON.stringify(parts)).digest("hex")}`;
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
 * effect pipeline as `model.invoke` with the delivery's facts and a prompt-injection screening score.
 * Small models follow the model store: a promoted version is hot-loaded, and the switch is audited.
 */
export class ModelAccess {
  private router: Promise<Router> | undefined;
  private readonly watches: { stop(): void }[] = [];
  /** Model calls made so far in each delivery (a scope is one delivery). */
  private readonly callCounts = new WeakMap<EffectScope, number>();

  constructor(
    private readonly config: AgentConfig,
    /** A scope for effects outside any delivery (hot-loading a promoted version). */
    private readonly serviceScope: () => EffectScope,
    private readonly store: ModelStore | undefined,
    private readonly log: Logger,
    private readonly metrics: MeshMetrics,
    private readonly drift: DriftMonitor,
    /**
     * The agent's own state (writes policy-checked and audited), where answers that reached a large model are
     * journaled by envelope id and call index before the handler's effects complete: a task redelivered after a
     * crash reuses them instead of calling (and paying for) the model again. None: no journal.
     */
    private readonly journal: StateStore | undefined,
    /** Whether each flow's routing is tightened for drift: a fact of every model call, for the policy. */
    private readonly driftResponse: Pick<DriftResponse, "assess">,
    /** The current policy's forbidden promises (lists.forbidden_promises): a draft making one is withheld. */
    private readonly forbiddenPromises: () => readonly string[] = () => [],
  ) {}

  /** Builds the router and loads the small models now, so the first task does not wait for them. */
  async warm(): Promise<void> {
    await this.routerOnce();
  }

  /**
   * Runs `call` unless this delivery's call at the same index was answered before (a redelivery), in which case
   * that answer is returned. Only answers that `billed` says cost a large-model call are journaled.
   */
  private async journaled<R extends object>(scope: EffectScope, task: TaskEnvelope, call: string, run: () => Promise<R>, billed: (r: R) => boolean): Promise<R> {
    const index = this.callCounts.get(scope) ?? 0;
    this.callCounts.set(scope, index + 1);
    if (!this.journal) return run();
    const key = `journal.${task.id}.${index}`;
    const entry = await this.journal.get(key);
    const found = entry ? journalEntrySchema.safeParse(entry.value) : undefined;
    if (found?.success && found.data.call === call) {
      this.log.info({ envelope: task.id, call: index }, "reusing the journaled answer of a model call this task already made");
      return found.data.result as R;
    }
    const result = await run();
    if (billed(result)) await this.journal.put(key, { call, result });
    return result;
  }

  /** One router per process, built on first use (or by warm()). */
  private routerOnce(): Promise<Router> {
    this.router ??= this.build();
    return this.router;
  }

  /** The router's view of the task, carrying this call's policy facts back to the gate. */
  private ref(call: Call) {
    return { id: call.task.id, flow: call.task.flow, region: call.task.region, context: call };
  }

  private async build(): Promise<Router> {
    const { classifierFromBytes, createRouter, llmCalibrationFromBytes, llmCalibrationModelName, loadShippedClassifiers, routerConfigSchema } = await loadModels();
    const routing = this.config.modelRouting ? (JSON.parse(this.config.modelRouting) as Record<string, unknown>) : {};
    const classifiers = loadShippedClassifiers();
    const router = createRouter(routerConfigSchema.parse({ ...routing, endpoints: await modelEndpoints(this.config) }), {
      classifiers,
      metrics: this.metrics,
      redact: (text) => redactText(text).text,
      checkOutput: (text) => {
        const { text: clean, findings } = redactText(text);
        const promises = promisesIn(clean, this.forbiddenPromises());
        return { allowed: promises.length === 0, text: clean, reasons: [...findings.map((f) => `pii:${f.entity}`), ...promises.map((p) => `promise:${p}`)] };
      },
      gate: {
        invoke: async (req, call) => {
          const { scope, task, screening } = req.task.context as Call;
          try {
            const value = await scope.perform({
              action: "model.invoke",
              resource: { endpoint: req.endpoint, model: req.model, region: req.region, trusted: req.trusted },
              facts: { ...scope.facts(task), screening, drift: this.driftResponse.assess(task.flow) },
              region: task.region,
              auditDetail: { tier: req.tier, model: req.model, modelVersion: req.modelVersion, endpoint: req.endpoint },
              run: (decision) => {
                const tighten = decision.obligations.find((o) => o.kind === "tighten_routing");
                return call(
                  decision.obligations.some((o) => o.kind === "redact"),
                  tighten?.kind === "tighten_routing" ? { small: tighten.small, large: tighten.large } : undefined,
                );
              },
              // The router's worst case and actual cost of the call: the budgets interceptor holds it to the policy's budgets.
              ...(req.spend ? { spend: req.spend } : {}),
            });
            return { allowed: true, value };
          } catch (err) {
            if (!(err instanceof PolicyDeniedError)) throw err;
            return { allowed: false, reasons: err.reasons, message: err.message };
          }
        },
      },
    });
    if (this.store) {
      for (const [name, shipped] of Object.entries(classifiers)) {
        const pointer = await this.store.current(name);
        const load = (version: string) => this.load(name, version, classifierFromBytes, (model) => router.swapClassifier(name, model));
        if (pointer && pointer.version !== shipped.version) await load(pointer.version);
        this.watches.push(await this.store.watch(name, (p) => void load(p.version)));
      }
      // The large tier's calibration (fitted by the trainer from reviewer outcomes) is stored and hot-loaded the same way.
      const calibrate = (version: string) => this.load(llmCalibrationModelName, version, llmCalibrationFromBytes, (c) => router.swapLlmCalibration(c));
      const pointer = await this.store.current(llmCalibrationModelName);
      if (pointer) await calibrate(pointer.version);
      this.watches.push(await this.store.watch(llmCalibrationModelName, (p) => void calibrate(p.version)));
    }
    return router;
  }

  private async load<T extends { version: string }>(name: string, version: string, fromBytes: (bytes: Uint8Array) => T, swap: (loaded: T) => void): Promise<void> {
    try {
      const model = await this.serviceScope().perform({
        action: "data.read",
        resource: { subject: subjects.model(name) },
        facts: {},
        region: this.config.region,
        auditDetail: { model: name, version },
        run: async () => {
          const bytes = await this.store!.get(name, version);
          if (!bytes) throw new Error(`version ${version} is not in the model store`);
          return fromBytes(bytes);
        },
      });
      swap(model);
      this.log.info({ model: name, version: model.version }, "hot-loaded model version");
    } catch (err) {
      this.log.error({ err, model: name, version }, "could not load model version; keeping the current one");
    }
  }

  async classify(scope: EffectScope, task: TaskEnvelope, classifier: string, text: string): Promise<ClassifyResult> {
    const router = await this.routerOnce();
    const ref = this.ref({ scope, task, screening: screenPrompt(text) });
    const result = await this.journaled(
      scope,
      task,
      callDigest("classify", [classifier, text]),
      () => inSpan(`classify ${classifier}`, { "mesh.classifier": classifier }, () => router.classify(classifier, text, ref), "client"),
      (r) => r.tried.some((t) => t.tier === "large" && !t.error),
    );
    // What the model sees and how sure it is: the two distributions whose shift signals drift.
    this.drift.observe(task.flow, "input_length", text.length);
    this.drift.observe(task.flow, "confidence", result.confidence);
    return result;
  }

  async draft(scope: EffectScope, task: TaskEnvelope, req: DraftRequest): Promise<DraftResult> {
    const router = await this.routerOnce();
    const ref = this.ref({ scope, task, screening: screenPrompt(req.text) });
    return this.journaled(
      scope,
      task,
      callDigest("draft", [req.text, req.intent, req.instructions ?? ""]),
      () => inSpan("draft", { "mesh.intent": req.intent }, () => router.draft(req, ref), "client"),
      (r) => r.endpoint !== null && !r.cached,
    );
  }

  async readFields(scope: EffectScope, task: TaskEnvelope, req: FieldsRequest): Promise<FieldsResult> {
    const router = await this.routerOnce();
    const ref = this.ref({ scope, task, screening: screenPrompt(req.text) });
    return this.journaled(
      scope,
      task,
      callDigest("fields", [req.text, req.instructions, ...Object.keys(req.schema.shape)]),
      () => inSpan("read fields", { "mesh.fields": Object.keys(req.schema.shape).join(",") }, () => router.readFields(req, ref), "client"),
      (r) => r.endpoint !== null,
    );
  }

  close(): void {
    for (const w of this.watches) w.stop();
  }
}
