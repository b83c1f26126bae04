import { z } from "zod";
import { MeshError, describeIssues } from "../errors/index.js";
import { setSpanBackend, type SpanKind } from "./tracing.js";

/** Who is tracing: the resource attributes every span of this process carries. */
export interface TracedService {
  /** `service.name` (OTEL_SERVICE_NAME overrides it): the agent's name. */
  readonly name: string;
  readonly version: string;
  /** `service.instance.id`: one per process, as the agent's audit chain names it. */
  readonly instance: string;
  /** `cloud.region`: the region the agent runs in. */
  readonly region: string;
}

export interface Tracing {
  /** Exports what is buffered and stops; spans after it are ids only. Resolves to why spans were lost, if they were:
   *  losing telemetry never fails an agent's shutdown. */
  shutdown(): Promise<string | undefined>;
}

const blankIsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const url = z.preprocess(blankIsUnset, z.url({ protocol: /^https?$/ }).optional());

/** The standard OpenTelemetry variables this mesh reads; the SDK reads the rest itself (headers, batch sizes, timeouts). */
const otelEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(blankIsUnset, z.enum(["grpc", "http/protobuf", "http/json"]).default("http/protobuf")),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(blankIsUnset, z.enum(["grpc", "http/protobuf", "http/json"]).optional()),
  /** Share of new traces (roots) recorded; a task that arrives with a traceparent follows its sampled flag. */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(blankIsUnset, z.coerce.number().min(0).max(1).default(1)),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  /** Milliseconds between batch exports. */
  OTEL_BSP_SCHEDULE_DELAY: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).default(5000)),
  OTEL_SERVICE_NAME: z.preprocess(blankIsUnset, z.string().optional()),
  OTEL_SDK_DISABLED: z.preprocess(blankIsUnset, z.enum(["true", "false"]).optional()),
});

export type OtelSettings = z.infer<typeof otelEnvSchema> & { readonly protocol: "grpc" | "http/protobuf" | "http/json" };

/** Parses the OTEL_* variables; an error names the variable and what is wrong with its value. */
export function otelSettings(env: NodeJS.ProcessEnv): OtelSettings | undefined {
  const parsed = otelEnvSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", describeIssues(parsed.error.issues));
  const s = parsed.data;
  if (s.OTEL_SDK_DISABLED === "true" || !(s.OTEL_EXPORTER_OTLP_ENDPOINT || s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return undefined;
  return { ...s, protocol: s.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? s.OTEL_EXPORTER_OTLP_PROTOCOL };
}

/**
 * Starts the OpenTelemetry SDK for this process when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT used as it is; OTEL_EXPORTER_OTLP_PROTOCOL grpc, http/protobuf (the default) or
 * http/json; OTEL_EXPORTER_OTLP_HEADERS), and makes it the span backend: parent-based sampling
 * (OTEL_TRACES_SAMPLER_ARG for new traces), this service's resource attributes, batched export
 * (OTEL_BSP_SCHEDULE_DELAY). Without an endpoint it loads nothing and returns undefined. Only traces: metrics stay
 * with Prometheus, logs with pino. The provider is this process's own, not registered globally: our trace scope,
 * not the OpenTelemetry context, carries the current span, so two of them (in a test) never share state.
 */
export async function startTracing(service: TracedService, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  const settings = otelSettings(env);
  if (!settings) return undefined;
  // Loaded only when tracing is on: the SDK and the gRPC stack cost start-up time and memory nobody else should pay.
  const [api, { tracing, resources }] = await Promise.all([import("@opentelemetry/api"), import("@opentelemetry/sdk-node")]);
  const provider = new tracing.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": settings.OTEL_SERVICE_NAME ?? service.name,
      "service.namespace": "meshwork",
      "service.version": service.version,
      "service.instance.id": service.instance,
      "cloud.region": service.region,
    }),
    sampler: new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG) }),
    spanProcessors: [new tracing.BatchSpanProcessor(await traceExporter(settings), { scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY })],
  });
  const tracer = provider.getTracer("meshwork", service.version);
  const kinds: Record<SpanKind, number> = {
    internal: api.SpanKind.INTERNAL,
    server: api.SpanKind.SERVER,
    client: api.SpanKind.CLIENT,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
  };
  setSpanBackend({
    start(name, kind, attributes, parent) {
      // The parent comes from our own scope or a message's traceparent; the sampler follows its sampled flag.
      const parentContext = parent
        ? api.trace.setSpanContext(api.ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.spanId,
            traceFlags: parent.sampled ? api.TraceFlags.SAMPLED : api.TraceFlags.NONE,
            isRemote: true,
          })
        : api.ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: kinds[kind], attributes }, parentContext);
      const ids = span.spanContext();
      return {
        context: { traceId: ids.traceId, spanId: ids.spanId, sampled: (ids.traceFlags & api.TraceFlags.SAMPLED) === api.TraceFlags.SAMPLED },
        end(error) {
          if (error === undefined) span.setStatus({ code: api.SpanStatusCode.OK });
          else {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
          }
          span.end();
        },
      };
    },
  });
  return {
    async shutdown() {
      setSpanBackend(undefined);
      return provider.shutdown().then(
        () => undefined,
        (err: unknown) => `spans not exported: ${(err as Error).message}`,
      );
    },
  };
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

/** The OTLP trace exporter for the protocol, pointed at the endpoint from these settings (not the process's env). */
async function traceExporter(settings: OtelSettings) {
  const headers = parseHeaders(settings.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? settings.OTEL_EXPORTER_OTLP_HEADERS);
  if (settings.protocol === "grpc") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-grpc");
    const { Metadata } = await import("@grpc/grpc-js");
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    return new OTLPTraceExporter({ url: settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? settings.OTEL_EXPORTER_OTLP_ENDPOINT, metadata });
  }
  // Over HTTP the traces endpoint is used as it is; the general one gets the signal's path.
  const url = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${settings.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, "")}/v1/traces`;
  const { OTLPTraceExporter } = settings.protocol === "http/json" ? await import("@opentelemetry/exporter-trace-otlp-http") : await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter({ url, headers });
}
