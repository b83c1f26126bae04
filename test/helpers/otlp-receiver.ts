import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** One span as OTLP/HTTP JSON encodes it, with the resource attributes of its batch. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: { key: string; value: Record<string, unknown> }[];
  readonly status: { code?: number; message?: string };
  readonly resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** The base URL to give OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly requests: { path: string; headers: IncomingHttpHeaders }[];
  spans(): ReceivedSpan[];
}

const scalar = (v: Record<string, unknown>) => v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue);

/**
 * A real OTLP/HTTP receiver on a free loopback port: it takes what an OpenTelemetry exporter POSTs to /v1/traces in
 * the http/json protocol, answers as a collector does, and keeps every span. Stopped with the test.
 */
export async function startOtlpReceiver(t: TestContext, status = 200): Promise<OtlpReceiver> {
  const requests: OtlpReceiver["requests"] = [];
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers });
      if (status === 200 && req.url === "/v1/traces") {
        const parsed = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] }; scopeSpans: { spans: Omit<ReceivedSpan, "resource">[] }[] }[] };
        for (const rs of parsed.resourceSpans) {
          const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, scalar(a.value)]));
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, resource });
        }
      }
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, spans: () => [...spans] };
}

/** A span's attributes as plain values. */
export function attributesOf(span: ReceivedSpan): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, scalar(a.value)]));
}

type Attribute = { key: string; value: Record<string, unknown> };
/** What proto-loader decodes an ExportTraceServiceRequest to (camelCase fields, ids as bytes, 64-bit times as strings). */
interface GrpcExportRequest {
  resourceSpans?: {
    resource?: { attributes?: Attribute[] };
    scopeSpans?: {
      spans?: { traceId: Buffer; spanId: Buffer; parentSpanId?: Buffer; name: string; kind?: number; startTimeUnixNano: string; endTimeUnixNano: string; attributes?: Attribute[]; status?: { code?: number; message?: string } }[];
    }[];
  }[];
}

/**
 * A real OTLP/gRPC receiver on a free loopback port: a grpc-js server offering the collector's TraceService/Export
 * (from the OTLP trace service's proto, test/helpers/otlp-trace-service.proto), keeping every span in the same shape
 * as the HTTP receiver. Its endpoint is what OTEL_EXPORTER_OTLP_ENDPOINT takes with OTEL_EXPORTER_OTLP_PROTOCOL=grpc.
 */
export async function startOtlpGrpcReceiver(t: TestContext): Promise<Pick<OtlpReceiver, "endpoint" | "spans">> {
  const definition = protoLoader.loadSync(fileURLToPath(new URL("./otlp-trace-service.proto", import.meta.url)), { longs: String, enums: Number, defaults: false });
  const service = (grpc.loadPackageDefinition(definition) as unknown as { opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } } })
    .opentelemetry.proto.collector.trace.v1.TraceService.service;
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  server.addService(service, {
    Export(call: grpc.ServerUnaryCall<GrpcExportRequest, object>, callback: grpc.sendUnaryData<object>) {
      const hex = (b: Buffer | undefined) => (b?.length ? b.toString("hex") : undefined);
      for (const rs of call.request.resourceSpans ?? []) {
        const resource = Object.fromEntries((rs.resource?.attributes ?? []).map((a) => [a.key, scalar(a.value)]));
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) {
            const parentSpanId = hex(s.parentSpanId);
            spans.push({
              traceId: hex(s.traceId)!,
              spanId: hex(s.spanId)!,
              ...(parentSpanId ? { parentSpanId } : {}),
              name: s.name,
              kind: s.kind ?? 0,
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: s.attributes ?? [],
              status: s.status ?? {},
              resource,
            });
          }
      }
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return { endpoint: `http://127.0.0.1:${port}`, spans: () => [...spans] };
}
