import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { MeshError, SchemaError, TransientError, describeIssues } from "../errors/index.js";

/**
 * The large tier: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, the stand-in) through ChatOpenAI,
 * with zod-structured output. Client retries are off: a failed call surfaces at once, the breaker counts it,
 * and the task is parked in JetStream (nak with backoff) instead of holding a worker slot.
 */
export const endpointSchema = z.object({
  name: z.string().min(1),
  baseUrl: z.string().url(),
  apiKey: z.string().default("not-needed"),
  model: z.string().min(1),
  /** Region the endpoint processes data in (residency). */
  region: z.string().min(1),
  /** Trusted endpoints may see unredacted text (policy decides; this is a fact about the endpoint). */
  trusted: z.boolean().default(false),
  priceUsdPer1kInputTokens: z.number().nonnegative().default(0),
  priceUsdPer1kOutputTokens: z.number().nonnegative().default(0),
  timeoutMs: z.number().int().positive().default(15_000),
  /**
   * How structured output is requested. Default: ChatOpenAI's choice for the model name (json_schema response
   * format for current models, tool calling for gpt-3.5/gpt-4). Set it for servers that support only one form.
   */
  structuredOutput: z.enum(["jsonSchema", "functionCalling", "jsonMode"]).optional(),
});
export type EndpointConfig = z.infer<typeof endpointSchema>;

export function parseEndpoint(input: unknown): EndpointConfig {
  const parsed = endpointSchema.safeParse(input);
  if (!parsed.success) throw new SchemaError(`model endpoint: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface LlmClassification {
  readonly label: string;
  readonly confidence: number;
}

export interface LlmCall<T> {
  readonly value: T;
  readonly usage: Usage;
  readonly latencyMs: number;
}

export interface DraftRequest {
  readonly text: string;
  readonly intent: string;
  readonly instructions?: string;
}

/** Fields to read from a document's text; `schema` (an object of exactly those fields) is the structured output. */
export interface FieldsRequest {
  readonly text: string;
  readonly instructions: string;
  readonly schema: z.ZodObject;
}

export interface LlmTier {
  readonly endpoint: EndpointConfig;
  classify(text: string, labels: readonly string[]): Promise<LlmCall<LlmClassification>>;
  /** One request for many texts: the label list (most of the prompt) is paid once per batch, not per text. */
  classifyBatch(texts: readonly string[], labels: readonly string[]): Promise<LlmCall<LlmClassification[]>>;
  draft(req: DraftRequest): Promise<LlmCall<string>>;
  /** The requested fields as the schema allows them; an answer outside the schema is a ModelOutputError. */
  extractFields(req: FieldsRequest): Promise<LlmCall<Record<string, unknown>>>;
}

const classifySystem =
  "You classify customer-support messages for a bank into exactly one intent from the allowed labels. " +
  "Return the label and your confidence (0 to 1) that it is the right one; when unsure, say so with a low confidence.";
const draftSystem =
  "You draft a short, polite reply to a bank customer's support message (at most 80 words). " +
  "Never include card numbers, account numbers, IBANs or other personal data; never promise refunds or outcomes.";
const fieldsSystem =
  "You read the requested fields from the document text the user gives. Answer each field exactly as the document " +
  "states it; when the document does not state a field, answer null for it. Never guess or compute a value the document does not print.";

function labelEnum(labels: readonly string[]) {
  if (labels.length === 0) throw new SchemaError("classify: labels: at least one label is required");
  return z.enum(labels as [string, ...string[]]);
}

/**
 * The endpoint answered, but not with what the schema allows (e.g. a label outside the list). Not transient:
 * asking again would likely get the same answer, so the router treats it as "unsure" and a human decides.
 */
export class ModelOutputError extends MeshError {
  override readonly name = "ModelOutputError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("E_MODEL_ERROR", message, false, details);
  }
}

/** Maps a client failure to the mesh's codes: transport trouble is transient (the task parks), a bad answer is not. */
function classifyFailure(endpoint: EndpointConfig, err: unknown): MeshError {
  if (err instanceof MeshError) return err;
  const e = err as { name?: string; message?: string; status?: number; code?: string };
  if (e.name === "$ZodError" || e.name === "ZodError" || e.name === "OutputParserException")
    return new ModelOutputError(`model endpoint ${endpoint.name} (${endpoint.model}): answer does not fit the schema: ${(e.message ?? "").slice(0, 300)}`, {
      endpoint: endpoint.name,
    });
  const timedOut = e.name === "TimeoutError" || e.name === "AbortError" || /timed? ?out|abort/i.test(e.message ?? "");
  return new TransientError(
    timedOut ? "E_MODEL_TIMEOUT" : "E_MODEL_ERROR",
    `model endpoint ${endpoint.name} (${endpoint.model}): ${timedOut ? `no answer within ${endpoint.timeoutMs} ms` : (e.message ?? String(err))}`,
    { endpoint: endpoint.name, ...(e.status ? { status: e.status } : {}) },
  );
}

export function createLlmTier(config: EndpointConfig): LlmTier {
  const endpoint = parseEndpoint(config);
  const chat = new ChatOpenAI({
    model: endpoint.model,
    apiKey: endpoint.apiKey,
    configuration: { baseURL: endpoint.baseUrl },
    temperature: 0,
    maxRetries: 0,
    timeout: endpoint.timeoutMs,
  });

  async function call<S extends z.ZodType>(schema: S, name: string, system: string, user: string): Promise<LlmCall<z.infer<S>>> {
    const runnable = chat.withStructuredOutput(schema, {
      name,
      includeRaw: true,
      ...(endpoint.structuredOutput ? { method: endpoint.structuredOutput } : {}),
    });
    const started = performance.now();
    let out: { raw: { usage_metadata?: { input_tokens?: number; output_tokens?: number } }; parsed: unknown };
    try {
      out = (await runnable.invoke(
        [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
        { signal: AbortSignal.timeout(endpoint.timeoutMs) },
      )) as typeof out;
    } catch (err) {
      throw classifyFailure(endpoint, err);
    }
    const latencyMs = performance.now() - started;
    const parsed = schema.safeParse(out.parsed);
    if (!parsed.success)
      throw new ModelOutputError(`model endpoint ${endpoint.name}: answer: ${describeIssues(parsed.error.issues)}`, { endpoint: endpoint.name });
    const usage = { inputTokens: out.raw.usage_metadata?.input_tokens ?? 0, outputTokens: out.raw.usage_metadata?.output_tokens ?? 0 };
    return { value: parsed.data, usage, latencyMs };
  }

  return {
    endpoint,
    classify(text, labels) {
      const schema = z.object({
        label: labelEnum(labels).describe("one of the allowed intents"),
        confidence: z.number().min(0).max(1).describe("probability that the label is right"),
      });
      return call(schema, "classification", classifySystem, text);
    },
    async classifyBatch(texts, labels) {
      const schema = z.object({
        results: z.array(
          z.object({ index: z.number().int().min(0), label: labelEnum(labels), confidence: z.number().min(0).max(1) }),
        ),
      });
      const user = `Classify each item separately.\n${texts.map((t, i) => `<item index="${i}">${t}</item>`).join("\n")}`;
      const res = await call(schema, "classifications", classifySystem, user);
      const byIndex = new Map(res.value.results.map((r) => [r.index, { label: r.label, confidence: r.confidence }]));
      const value = texts.map((_, i) => {
        const r = byIndex.get(i);
        if (!r) throw new ModelOutputError(`model endpoint ${endpoint.name}: answer: results: item ${i} missing`);
        return r;
      });
      return { value, usage: res.usage, latencyMs: res.latencyMs };
    },
    async draft(req) {
      const schema = z.object({ reply: z.string().min(1).max(2000).describe("the reply to send to the customer") });
      const user = [`intent: ${req.intent}`, req.instructions ? `instructions: ${req.instructions}` : "", `message: ${req.text}`]
        .filter(Boolean)
        .join("\n");
      const res = await call(schema, "draft_reply", draftSystem, user);
      return { value: res.value.reply, usage: res.usage, latencyMs: res.latencyMs };
    },
    async extractFields(req) {
      const res = await call(req.schema, "document_fields", `${fieldsSystem} ${req.instructions}`, `<document>\n${req.text}\n</document>`);
      return { value: res.value as Record<string, unknown>, usage: res.usage, latencyMs: res.latencyMs };
    },
  };
}

/** Cost of one call in US dollars. */
export function priceOf(endpoint: EndpointConfig, usage: Usage): number {
  return (usage.inputTokens / 1000) * endpoint.priceUsdPer1kInputTokens + (usage.outputTokens / 1000) * endpoint.priceUsdPer1kOutputTokens;
}
