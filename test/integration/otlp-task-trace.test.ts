import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { publish, subjects } from "../../shared/bus/index.js";
import { formatTraceparent } from "../../shared/telemetry/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { startOtlpGrpcReceiver, startOtlpReceiver, type OtlpReceiver } from "../helpers/otlp-receiver.js";
import { waitFor } from "../helpers/wait.js";

test("one invoice's spans reach a real OTLP/HTTP receiver from ingest and invoice as one trace, under the publisher's traceparent", { timeout: 180_000 }, async (t) => {
  await oneTaskTrace(t, await startOtlpReceiver(t), "http/json");
});

test("one invoice's spans reach a real OTLP/gRPC receiver (TraceService/Export) from ingest and invoice as one trace, under the publisher's traceparent", { timeout: 180_000 }, async (t) => {
  await oneTaskTrace(t, await startOtlpGrpcReceiver(t), "grpc");
});

/** Runs one invoice through ingest and invoice exporting to `receiver` over `protocol`, and checks its spans are one tree. */
async function oneTaskTrace(t: TestContext, receiver: Pick<OtlpReceiver, "endpoint" | "spans">, protocol: "http/json" | "grpc") {
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "invoice"], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: "200",
  });
  const bus = await nats.connect();
  const [event] = invoiceEvents(1);
  // The publisher's own span: every span of the task must hang under it, across both agents and NATS.
  const publisher = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", sampled: true };
  await publish(bus, subjects.inbound("invoice"), event!, { msgId: "otlp-1", headers: { traceparent: formatTraceparent(publisher) } });
  await waitFor("the invoice's outcome", async () => (await outcomes(bus, "invoice")).total === 1);

  const spans = await waitFor(
    "spans of the task from ingest and invoice",
    async () => {
      const mine = receiver.spans().filter((s) => s.traceId === publisher.traceId);
      const services = new Set(mine.map((s) => s.resource["service.name"]));
      return services.has("ingest") && services.has("invoice") && mine.some((s) => s.name.startsWith("effect task.complete")) && mine;
    },
    { timeoutMs: 60_000, describe: () => receiver.spans().map((s) => `${s.resource["service.name"]} ${s.name} ${s.traceId}`).join("\n") },
  );
  const ids = new Set(spans.map((s) => s.spanId));
  // One tree: each span's parent is another span of the task, except the roots, whose parent is the publisher's span.
  const roots = spans.filter((s) => !ids.has(s.parentSpanId ?? ""));
  assert.ok(roots.length >= 1);
  for (const r of roots) assert.equal(r.parentSpanId, publisher.spanId, `${r.resource["service.name"]} ${r.name} hangs under the publisher's span`);
  for (const s of spans) {
    assert.equal(s.resource["service.namespace"], "meshwork");
    assert.match(String(s.resource["service.instance.id"]), /.+/);
    assert.equal(s.resource["cloud.region"], "eu");
  }
  // The invoice agent's spans continue from ingest's: the traceparent crossed NATS between them.
  const invoiceRoot = spans.find((s) => s.resource["service.name"] === "invoice" && !spans.some((p) => p.spanId === s.parentSpanId && p.resource["service.name"] === "invoice"));
  assert.ok(invoiceRoot, "invoice has a first span");
  const parent = spans.find((s) => s.spanId === invoiceRoot.parentSpanId);
  assert.equal(parent?.resource["service.name"], "ingest", `invoice's first span (${invoiceRoot.name}) is a child of an ingest span`);
  assert.ok(spans.every((s) => BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano) && BigInt(s.startTimeUnixNano) > 0n), "spans carry their times");
}
