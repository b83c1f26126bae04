import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import {
  createLogger,
  currentTrace,
  inSpan,
  setSpanSink,
  startOtlpExport,
  type FinishedSpan,
} from "../../../shared/telemetry/index.js";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: Record<string, unknown> }[] };
      scopeSpans: { spans: Record<string, any>[] }[]; // the OTLP JSON span, checked field by field below
    }[];
  };
}

/** A real HTTP collector stand-in on a free loopback port that keeps every request it gets. */
async function collector(t: { after: (fn: () => unknown) => void }, status = 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(body) });
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => server.close(r)));
  return { received, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test("nested spans reach the collector as OTLP JSON with one trace and parent links", async (t) => {
  const { received, base } = await collector(t);
  const exporter = startOtlpExport("invoice", {
    OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/`,
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc,x-tenant=acme",
  })!;
  t.after(() => {
    setSpanSink(undefined);
    return exporter.shutdown();
  });

  await inSpan("task.handle", { flow: "invoice", attempt: 1 }, async () => {
    await inSpan("model.invoke", { tier: "small", confidence: 0.93, cached: false }, async () => "ok", "client");
  }, "consumer");
  await assert.rejects(inSpan("tool.call", {}, async () => Promise.reject(new Error("502 from ERP"))));
  await exporter.flush();

  assert.equal(received.length, 1);
  const [req] = received;
  assert.equal(req!.path, "/v1/traces");
  assert.equal(req!.headers["content-type"], "application/json");
  assert.equal(req!.headers.authorization, "Bearer abc");
  assert.equal(req!.headers["x-tenant"], "acme");
  const rs = req!.body.resourceSpans[0]!;
  assert.deepEqual(rs.resource.attributes, [{ key: "service.name", value: { stringValue: "invoice" } }]);
  const spans = rs.scopeSpans[0]!.spans;
  assert.deepEqual(spans.map((s) => s.name), ["model.invoke", "task.handle", "tool.call"]);
  const [model, handle, tool] = spans;
  assert.equal(model!.traceId, handle!.traceId);
  assert.equal(model!.parentSpanId, handle!.spanId);
  assert.equal(handle!.parentSpanId, undefined);
  assert.notEqual(tool!.traceId, handle!.traceId, "a span outside any trace starts a new one");
  assert.match(handle!.traceId, /^[0-9a-f]{32}$/);
  assert.equal(handle!.kind, 5);
  assert.equal(model!.kind, 3);
  assert.deepEqual(model!.attributes, [
    { key: "tier", value: { stringValue: "small" } },
    { key: "confidence", value: { doubleValue: 0.93 } },
    { key: "cached", value: { boolValue: false } },
  ]);
  assert.ok(BigInt(handle!.endTimeUnixNano) >= BigInt(model!.endTimeUnixNano));
  assert.ok(BigInt(handle!.startTimeUnixNano) <= BigInt(model!.startTimeUnixNano));
  assert.deepEqual(tool!.status, { code: 2, message: "Error: 502 from ERP" });
  assert.deepEqual(handle!.status, { code: 1 });
  assert.equal(exporter.exported, 3);
});

test("inside a span, log lines carry its trace id", async () => {
  const lines: string[] = [];
  const log = createLogger("triage", {
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
  const seen: FinishedSpan[] = [];
  const prev = setSpanSink({ record: (s) => seen.push(s) });
  try {
    await inSpan("classify", {}, () => log.info("classifying"));
  } finally {
    setSpanSink(prev);
  }
  assert.equal(JSON.parse(lines[0]!).trace_id, seen[0]!.context.traceId);
  assert.equal(currentTrace(), undefined);
});

test("a collector that refuses the batch costs spans, not the task", async (t) => {
  const { base } = await collector(t, 503);
  const exporter = startOtlpExport("invoice", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${base}/custom/traces` })!;
  t.after(() => {
    setSpanSink(undefined);
    return exporter.shutdown();
  });
  assert.equal(await inSpan("task.handle", {}, async () => 42), 42);
  await exporter.flush();
  assert.equal(exporter.dropped, 1);
  assert.equal(exporter.exported, 0);
});

test("no endpoint means no exporter; a malformed one is a config error naming the variable", () => {
  assert.equal(startOtlpExport("invoice", {}), undefined);
  assert.equal(startOtlpExport("invoice", { OTEL_EXPORTER_OTLP_ENDPOINT: "  " }), undefined);
  assert.throws(
    () => startOtlpExport("invoice", { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }),
    (err: Error & { code?: string }) => err.code === "E_CONFIG" && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(err.message),
  );
});
