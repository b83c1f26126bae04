import { z } from "zod";
import { MeshError, describeIssues } from "../errors/index.js";
import { childSpan, type TraceContext } from "./trace-context.js";
import { currentTrace, withTrace } from "./trace-scope.js";

/**
 * Spans, exported over OTLP/HTTP (JSON encoding) when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, to any
 * OpenTelemetry collector, Jaeger, Tempo... Without an endpoint a span is only a trace scope: the ids
 * still reach log lines and NATS headers, and nothing is buffered.
 *
 * Written against the wire format rather than @opentelemetry/sdk-node so the mesh has no dependency on
 * it; the ids are W3C trace context either way, so swapping in the SDK later changes no header or log.
 */

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";
export type SpanAttributes = Record<string, string | number | boolean>;

export interface FinishedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly context: TraceContext;
  readonly parentSpanId: string | undefined;
  readonly startUnixNano: bigint;
  readonly endUnixNano: bigint;
  readonly attributes: SpanAttributes;
  readonly error: string | undefined;
}

export interface SpanSink {
  record(span: FinishedSpan): void;
}

let sink: SpanSink | undefined;

/** Where finished spans go; undefined turns recording off. Returns the previous sink. */
export function setSpanSink(next: SpanSink | undefined): SpanSink | undefined {
  const prev = sink;
  sink = next;
  return prev;
}

function nowUnixNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

/**
 * Runs `fn` as a child span of the current trace (or the root of a new one), inside its trace scope, and
 * records it when it settles. A thrown error marks the span failed and is rethrown unchanged.
 *
 * @example
 * await inSpan("model.invoke", { tier: "small" }, () => router.classify(text), "client");
 */
export async function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: () => Promise<T> | T,
  kind: SpanKind = "internal",
  parent: TraceContext | undefined = currentTrace(),
): Promise<T> {
  const context = childSpan(parent);
  const start = nowUnixNano();
  const finish = (error: string | undefined) =>
    sink?.record({
      name,
      kind,
      context,
      parentSpanId: parent?.spanId,
      startUnixNano: start,
      endUnixNano: nowUnixNano(),
      attributes,
      error,
    });
  try {
    const result = await withTrace(context, fn);
    finish(undefined);
    return result;
  } catch (err) {
    finish(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    throw err;
  }
}

export interface OtlpExporterOptions {
  /** Full traces URL, e.g. http://collector:4318/v1/traces. */
  url: string;
  serviceName: string;
  headers?: Record<string, string>;
  resource?: SpanAttributes;
  /** Spans sent in one request. */
  maxBatch?: number;
  /** Spans held while the collector is unreachable; the oldest are dropped beyond it. */
  maxQueue?: number;
  flushIntervalMs?: number;
}

const kindCode: Record<SpanKind, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/** Batches finished spans and POSTs them as OTLP/HTTP JSON. Export failures drop spans, never throw. */
export class OtlpHttpExporter implements SpanSink {
  private queue: FinishedSpan[] = [];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  /** Spans lost to a full queue or a failed request. */
  dropped = 0;
  exported = 0;

  constructor(private readonly opts: OtlpExporterOptions) {
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  record(span: FinishedSpan): void {
    this.queue.push(span);
    const max = this.opts.maxQueue ?? 2048;
    if (this.queue.length > max) {
      this.dropped += this.queue.length - max;
      this.queue.splice(0, this.queue.length - max);
    }
    if (this.queue.length >= (this.opts.maxBatch ?? 512)) void this.flush();
  }

  /** Sends everything queued so far; resolves when the collector answered (or failed). */
  flush(): Promise<void> {
    this.inFlight = this.inFlight.then(async () => {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 512);
        try {
          const res = await fetch(this.opts.url, {
            method: "POST",
            headers: { "content-type": "application/json", ...this.opts.headers },
            body: JSON.stringify(this.encode(batch)),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.ok) this.exported += batch.length;
          else this.dropped += batch.length;
        } catch {
          this.dropped += batch.length;
        }
      }
    });
    return this.inFlight;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private encode(spans: readonly FinishedSpan[]) {
    const resource = { "service.name": this.opts.serviceName, ...this.opts.resource };
    return {
      resourceSpans: [
        {
          resource: { attributes: encodeAttributes(resource) },
          scopeSpans: [
            {
              scope: { name: "meshwork" },
              spans: spans.map((s) => ({
                traceId: s.context.traceId,
                spanId: s.context.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: kindCode[s.kind],
                startTimeUnixNano: s.startUnixNano.toString(),
                endTimeUnixNano: s.endUnixNano.toString(),
                attributes: encodeAttributes(s.attributes),
                status: s.error ? { code: 2, message: s.error } : { code: 1 },
              })),
            },
          ],
        },
      ],
    };
  }
}

function encodeAttributes(attrs: SpanAttributes) {
  return Object.entries(attrs).map(([key, v]) => ({
    key,
    value:
      typeof v === "string"
        ? { stringValue: v }
        : typeof v === "boolean"
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

/** `k1=v1,k2=v2` (values URL-encoded), as the OpenTelemetry spec defines OTEL_EXPORTER_OTLP_HEADERS. */
function parseHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",")) {
    const i = pair.indexOf("=");
    if (i > 0) out[pair.slice(0, i).trim()] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return out;
}

const blankIsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const otelEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional()),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.preprocess(blankIsUnset, z.string().optional()),
});

/**
 * Starts OTLP export from the standard OpenTelemetry variables and installs it as the span sink:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces),
 * OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME. Returns undefined, and records nothing, when neither
 * endpoint is set. Only the http/json protocol is spoken; gRPC and protobuf need the SDK.
 */
export function startOtlpExport(serviceName: string, env: NodeJS.ProcessEnv = process.env): OtlpHttpExporter | undefined {
  const parsed = otelEnvSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", describeIssues(parsed.error.issues));
  const cfg = parsed.data;
  const url =
    cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (cfg.OTEL_EXPORTER_OTLP_ENDPOINT ? `${cfg.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (!url) return undefined;
  const exporter = new OtlpHttpExporter({
    url,
    serviceName: cfg.OTEL_SERVICE_NAME ?? serviceName,
    headers: parseHeaders(cfg.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? cfg.OTEL_EXPORTER_OTLP_HEADERS),
  });
  setSpanSink(exporter);
  return exporter;
}
