import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/**
 * An OpenAI-compatible stand-in for the offline demo and the tests: POST /v1/chat/completions with the
 * structured-output forms ChatOpenAI sends (`response_format: json_schema` by default for non-gpt-3/4 model
 * names, `tools` + `tool_choice` for functionCalling), deterministic answers, usage tokens, and run-time
 * latency and failure injection through an admin endpoint:
 *   POST /_admin            {latencyMs?, failRate?, failForMs?, failStatus?, fields?}   change behaviour now
 *   GET  /_admin/requests   {count, requests: [{at, path, body, usage}]}      what left the mesh and what it billed (last 10,000 kept)
 *   POST /_admin/reset      clears the log and the failure settings
 *
 * Answers: a text may pin its answer with `[[pin:<label as hex>]]` and `[[confidence:0.42]]` (test fixtures;
 * hex so the pinned label's words cannot sway the small model that sees the same text, see `pinLabel`), and
 * a draft with `[[reply:<text as hex>]]` (`pinReply`); a request for document fields (`document_fields`) is
 * answered for exactly the fields its schema names, from the values pinned with `configure({ fields })` (null for
 * any field not pinned, as a model says for a field the document does not print);
 * otherwise the label is the allowed label sharing the most words with the text (or a keyword synonym).
 */
export interface StandInBehaviour {
  latencyMs: number;
  /** Share of requests that fail (0..1), decided by a seeded sequence so runs repeat. */
  failRate: number;
  /** Every request fails until this time (epoch ms). */
  failUntil: number;
  failStatus: number;
  /** Pinned answers to document-field requests, by field name. */
  fields: Record<string, unknown>;
}

export interface ReceivedRequest {
  readonly at: number;
  readonly path: string;
  readonly body: unknown;
  /** The tokens the answer billed; absent while in flight and for failed requests. */
  usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface StandIn {
  /** Base URL for an OpenAI client, ending in /v1. */
  readonly url: string;
  readonly adminUrl: string;
  /** The most recent requests (at most 10,000, so a long demo stays bounded). */
  requests(): readonly ReceivedRequest[];
  /** Every chat request received since start or reset. */
  requestCount(): number;
  configure(change: Partial<StandInBehaviour> & { failForMs?: number }): void;
  reset(): void;
  close(): Promise<void>;
}

const adminSchema = z.object({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  failRate: z.number().min(0).max(1).optional(),
  failForMs: z.number().int().min(0).optional(),
  failUntil: z.number().int().min(0).optional(),
  failStatus: z.number().int().min(400).max(599).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

const messageSchema = z.object({ role: z.string(), content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional() });
const chatSchema = z.object({
  model: z.string(),
  messages: z.array(messageSchema).min(1),
  response_format: z
    .object({ type: z.string(), json_schema: z.object({ name: z.string().optional(), schema: z.unknown() }).optional() })
    .optional(),
  tools: z.array(z.object({ type: z.literal("function"), function: z.object({ name: z.string(), parameters: z.unknown() }) })).optional(),
});
type ChatRequest = z.infer<typeof chatSchema>;

/** Synonyms that word overlap with label names would miss; enough for the demo tickets, not a model. */
const keywordHints: readonly [RegExp, string][] = [
  [/\b(stolen|lost|missing) (card|wallet)\b|\bcard (was|got) stolen\b/, "lost_or_stolen_card"],
  [/\b(hacked|compromised|fraud|someone (else )?used)\b/, "compromised_card"],
  [/\brefund/, "request_refund"],
  [/\b(didn'?t|did not) (make|authori[sz]e)\b|\bdispute/, "card_payment_not_recognised"],
  [/\bpin\b.*\bblock/, "pin_blocked"],
  [/\bexchange rate\b/, "exchange_rate"],
  [/\btop[ -]?up\b.*\b(fail|declin)/, "top_up_failed"],
];

function textOf(content: ChatRequest["messages"][number]["content"]): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((p) => (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : "")).join("");
  return "";
}

function pickLabel(text: string, allowed: readonly string[]): { label: string; confidence: number } {
  const hex = /\[\[pin:([0-9a-f]+)\]\]/.exec(text)?.[1];
  const pinned = hex ? Buffer.from(hex, "hex").toString("utf8") : undefined;
  const pinnedConfidence = /\[\[confidence:([0-9.]+)\]\]/.exec(text)?.[1];
  if (pinned) return { label: pinned, confidence: pinnedConfidence ? Number(pinnedConfidence) : 0.95 };
  const lower = text.toLowerCase();
  for (const [re, label] of keywordHints)
    if (re.test(lower) && allowed.includes(label)) return { label, confidence: Number(pinnedConfidence ?? 0.9) };
  const words = new Set(lower.match(/[a-z0-9]+/g) ?? []);
  let best = allowed[0] ?? "unknown";
  let bestScore = -1;
  for (const label of allowed) {
    const parts = label.toLowerCase().split(/[_\s-]+/);
    const score = parts.filter((p) => words.has(p) || words.has(`${p}s`)).length / parts.length;
    if (score > bestScore) {
      best = label;
      bestScore = score;
    }
  }
  return { label: best, confidence: Number(pinnedConfidence ?? (bestScore >= 0.5 ? 0.9 : 0.55)) };
}

/** The JSON schema the client asked for, wherever the structured-output method put it. */
function requestedSchema(req: ChatRequest): { name: string; schema: Record<string, unknown> } | null {
  if (req.response_format?.type === "json_schema" && req.response_format.json_schema)
    return { name: req.response_format.json_schema.name ?? "extract", schema: (req.response_format.json_schema.schema ?? {}) as Record<string, unknown> };
  const tool = req.tools?.[0];
  if (tool) return { name: tool.function.name, schema: (tool.function.parameters ?? {}) as Record<string, unknown> };
  return null;
}

function enumOf(schema: unknown): string[] {
  const s = schema as { enum?: unknown[]; anyOf?: unknown[] } | undefined;
  if (Array.isArray(s?.enum)) return s.enum.map(String);
  return [];
}

/** Items of a batch prompt are written as `<item index="N">text</item>` by llm-tier.ts. */
function batchItems(text: string): string[] {
  return [...text.matchAll(/<item index="\d+">([\s\S]*?)<\/item>/g)].map((m) => m[1] ?? "");
}

function answer(req: ChatRequest, pinnedFields: Readonly<Record<string, unknown>>): unknown {
  const schema = requestedSchema(req);
  const user = textOf([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const props = (schema?.schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  if (schema?.name === "document_fields") return Object.fromEntries(Object.keys(props).map((f) => [f, pinnedFields[f] ?? null]));
  if (props.results) {
    const items = (props.results.items ?? {}) as { properties?: Record<string, unknown> };
    const allowed = enumOf(items.properties?.label);
    return { results: batchItems(user).map((t, index) => ({ index, ...pickLabel(t, allowed) })) };
  }
  if (props.label) return pickLabel(user, enumOf(props.label));
  if (props.reply) {
    const pinned = /\[\[reply:([0-9a-f]+)\]\]/.exec(user)?.[1];
    if (pinned) return { reply: Buffer.from(pinned, "hex").toString("utf8") };
    const intent = /intent: ([\w-]+)/.exec(user)?.[1] ?? "your request";
    return {
      reply: `Thank you for contacting us about ${intent.replace(/_/g, " ")}. We have looked into it and a specialist will confirm the next steps shortly.`,
    };
  }
  return null;
}

/** Text that makes the stand-in draft exactly `reply` (a draft the output checks must catch, say). */
export function pinReply(reply: string): string {
  return `[[reply:${Buffer.from(reply).toString("hex")}]]`;
}

/** Text that makes the stand-in answer `label` with `confidence`, whatever else the text says. */
export function pinLabel(label: string, confidence?: number): string {
  return `[[pin:${Buffer.from(label).toString("hex")}]]${confidence === undefined ? "" : ` [[confidence:${confidence}]]`}`;
}

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

export async function startStandIn(opts: { port?: number; host?: string } & Partial<StandInBehaviour> = {}): Promise<StandIn> {
  const behaviour: StandInBehaviour = {
    latencyMs: opts.latencyMs ?? 0,
    failRate: opts.failRate ?? 0,
    failUntil: opts.failUntil ?? 0,
    failStatus: opts.failStatus ?? 503,
    fields: opts.fields ?? {},
  };
  const log: ReceivedRequest[] = [];
  const maxLog = 10_000;
  let received = 0;
  let seq = 0;
  let counter = 0;
  const failsNow = () => {
    if (Date.now() < behaviour.failUntil) return true;
    // Golden-ratio sequence: a fraction failRate of requests fail, spread evenly, same order every run.
    counter++;
    return (counter * 0.6180339887) % 1 < behaviour.failRate;
  };
  const configure: StandIn["configure"] = (change) => {
    const { failForMs, ...rest } = change;
    Object.assign(behaviour, rest);
    if (failForMs !== undefined) behaviour.failUntil = Date.now() + failForMs;
  };
  const reset = () => {
    log.length = 0;
    received = 0;
    Object.assign(behaviour, { latencyMs: 0, failRate: 0, failUntil: 0, failStatus: 503, fields: {} });
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, { error: { message: "body: not JSON", type: "invalid_request_error" } });
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/_admin" && req.method === "POST") {
      const parsed = adminSchema.safeParse(body ?? {});
      if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
      configure(parsed.data);
      return send(res, 200, behaviour);
    }
    if (path === "/_admin/requests" && req.method === "GET") return send(res, 200, { count: received, requests: log });
    if (path === "/_admin/reset" && req.method === "POST") {
      reset();
      return send(res, 200, behaviour);
    }
    if (path === "/v1/models" && req.method === "GET") return send(res, 200, { object: "list", data: [{ id: "stand-in", object: "model" }] });
    if (path !== "/v1/chat/completions" || req.method !== "POST") return send(res, 404, { error: { message: `no route ${req.method} ${path}` } });

    received++;
    const entry: ReceivedRequest = { at: Date.now(), path, body };
    log.push(entry);
    if (log.length > maxLog) log.shift();
    if (behaviour.latencyMs > 0) await new Promise((r) => setTimeout(r, behaviour.latencyMs));
    if (failsNow()) return send(res, behaviour.failStatus, { error: { message: "stand-in: injected failure", type: "server_error" } });
    const parsed = chatSchema.safeParse(body);
    if (!parsed.success)
      return send(res, 400, { error: { message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), type: "invalid_request_error" } });
    const chat = parsed.data;
    const schema = requestedSchema(chat);
    const result = answer(chat, behaviour.fields);
    const content = result === null ? "stand-in reply" : JSON.stringify(result);
    const useTool = !chat.response_format && chat.tools?.length;
    const message = useTool
      ? { role: "assistant", content: null, tool_calls: [{ id: `call_${++seq}`, type: "function", function: { name: schema!.name, arguments: content } }] }
      : { role: "assistant", content };
    const promptTokens = tokens(chat.messages.map((m) => textOf(m.content)).join("\n") + JSON.stringify(schema?.schema ?? ""));
    const completionTokens = tokens(content);
    entry.usage = { promptTokens, completionTokens };
    send(res, 200, {
      id: `chatcmpl-standin-${++seq}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: chat.model,
      choices: [{ index: 0, message, finish_reason: useTool ? "tool_calls" : "stop", logprobs: null }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => send(res, 500, { error: { message: `stand-in: ${err.message}` } }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  return {
    url: `${base}/v1`,
    adminUrl: `${base}/_admin`,
    requests: () => log,
    requestCount: () => received,
    configure,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const port = Number(process.env.STAND_IN_PORT ?? 0);
  startStandIn({ port }).then((s) => console.log(`stand-in OpenAI-compatible server at ${s.url} (admin ${s.adminUrl})`));
}
