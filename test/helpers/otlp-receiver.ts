import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";

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
