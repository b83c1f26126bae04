import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, currentTrace, inSpan, otelSettings, startTracing, type TracedService } from "../../../shared/telemetry/index.js";
import { attributesOf, startOtlpReceiver } from "../../helpers/otlp-receiver.js";

const invoice: TracedService = { name: "invoice", version: "1.2.0", instance: "host-1", region: "eu" };

test("nested spans reach a real OTLP/HTTP receiver through the SDK: one trace, parent links, kinds, status, this agent's resource", async (t) => {
  const receiver = await startOtlpReceiver(t);
  const tracing = (await startTracing(invoice, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.endpoint}/`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc,x-tenant=acme",
  }))!;
  t.after(() => tracing.shutdown());

  await inSpan("task.handle", { flow: "invoice", attempt: 1 }, async () => {
    await inSpan("model.invoke", { tier: "small", confidence: 0.93, cached: false }, async () => "ok", "client");
  }, "consumer");
  await assert.rejects(inSpan("tool.call", {}, async () => Promise.reject(new Error("502 from ERP"))));
  await tracing.shutdown();

  for (const r of receiver.requests) assert.deepEqual([r.path, r.headers.authorization, r.headers["x-tenant"]], ["/v1/traces", "Bearer abc", "acme"]);
  const spans = receiver.spans();
  const byName = new Map(spans.map((s) => [s.name, s]));
  const [model, handle, tool] = ["model.invoke", "task.handle", "tool.call"].map((n) => byName.get(n)!);
  assert.ok(model && handle && tool, `spans received: ${spans.map((s) => s.name).join(", ")}`);
  assert.equal(model.traceId, handle.traceId);
  assert.equal(model.parentSpanId, handle.spanId);
  assert.ok(!handle.parentSpanId);
  assert.notEqual(tool.traceId, handle.traceId, "a span outside any trace starts a new one");
  assert.equal(handle.kind, 5);
  assert.equal(model.kind, 3);
  assert.deepEqual(attributesOf(model), { tier: "small", confidence: 0.93, cached: false });
  for (const s of [model, handle, tool]) assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
  assert.deepEqual(tool.status, { code: 2, message: "Error: 502 from ERP" });
  assert.equal(handle.status.code, 1);
  assert.deepEqual(
    { ...handle.resource, "telemetry.sdk.version": undefined },
    { ...handle.resource, "service.name": "invoice", "service.namespace": "meshwork", "service.version": "1.2.0", "service.instance.id": "host-1", "cloud.region": "eu", "telemetry.sdk.version": undefined },
  );
});

test("sampling follows the parent: a task that arrives unsampled is not recorded, nor its children; a sampled one is; new traces by ratio", async (t) => {
  const receiver = await startOtlpReceiver(t);
  const tracing = (await startTracing(invoice, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_TRACES_SAMPLER_ARG: "0" }))!;
  t.after(() => tracing.shutdown());
  const unsampled = { traceId: "1".repeat(32), spanId: "2".repeat(16), sampled: false };
  const sampled = { traceId: "3".repeat(32), spanId: "4".repeat(16), sampled: true };
  await inSpan("unsampled.handle", {}, () => inSpan("unsampled.child", {}, () => assert.equal(currentTrace()?.sampled, false)), "consumer", unsampled);
  await inSpan("sampled.handle", {}, () => inSpan("sampled.child", {}, () => assert.equal(currentTrace()?.traceId, sampled.traceId)), "consumer", sampled);
  await inSpan("new.root", {}, async () => undefined);
  await tracing.shutdown();
  const names = receiver.spans().map((s) => s.name).sort();
  assert.deepEqual(names, ["sampled.child", "sampled.handle"], "ratio 0 records no new trace; the sampled parent's trace is recorded whole");
  assert.equal(receiver.spans().find((s) => s.name === "sampled.handle")!.parentSpanId, sampled.spanId, "the remote parent (a message's traceparent) is the span's parent");
});

test("inside a span, log lines carry its trace id", async () => {
  const lines: string[] = [];
  const log = createLogger("triage", { destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }) });
  let inside: string | undefined;
  await inSpan("classify", {}, () => {
    inside = currentTrace()?.traceId;
    log.info("classifying");
  });
  assert.match(inside!, /^[0-9a-f]{32}$/);
  assert.equal(JSON.parse(lines[0]!).trace_id, inside);
  assert.equal(currentTrace(), undefined);
});

test("a collector that refuses the batch costs spans, not the task nor the shutdown", async (t) => {
  const receiver = await startOtlpReceiver(t, 400);
  const tracing = (await startTracing(invoice, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/custom/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }))!;
  t.after(() => tracing.shutdown());
  assert.equal(await inSpan("task.handle", {}, async () => 42), 42);
  assert.match((await tracing.shutdown())!, /spans not exported/);
  assert.ok(receiver.requests.some((r) => r.path === "/custom/traces"), "the traces endpoint is used as it is");
});

test("no endpoint starts nothing; a malformed endpoint, protocol or ratio is a config error naming the variable; grpc is a protocol", async () => {
  assert.equal(await startTracing(invoice, {}), undefined);
  assert.equal(await startTracing(invoice, { OTEL_EXPORTER_OTLP_ENDPOINT: "  " }), undefined);
  assert.equal(await startTracing(invoice, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }), undefined);
  for (const [name, value] of [["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"], ["OTEL_EXPORTER_OTLP_PROTOCOL", "thrift"], ["OTEL_TRACES_SAMPLER_ARG", "2"]] as const) {
    assert.throws(
      () => otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", [name]: value }),
      (err: Error & { code?: string }) => err.code === "E_CONFIG" && err.message.includes(name),
      name,
    );
  }
  assert.equal(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })?.protocol, "grpc");
  assert.equal(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })?.protocol, "http/protobuf");
});
