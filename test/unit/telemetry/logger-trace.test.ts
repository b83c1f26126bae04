import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { childSpan, createLogger, currentTrace, withTrace } from "../../../shared/telemetry/index.js";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

test("a log line written inside withTrace carries the trace and span ids", async () => {
  const out = capture();
  const log = createLogger("invoice", { destination: out.stream });
  const trace = childSpan();
  await withTrace(trace, async () => {
    await new Promise((r) => setImmediate(r));
    log.info("matched");
  });
  const [line] = out.lines();
  assert.equal(line?.trace_id, trace.traceId);
  assert.equal(line?.span_id, trace.spanId);
});

test("a log line outside any trace has no trace_id", () => {
  const out = capture();
  createLogger("invoice", { destination: out.stream }).info("idle");
  assert.equal(out.lines()[0]?.trace_id, undefined);
});

test("concurrent traces do not leak into each other", async () => {
  const a = childSpan();
  const b = childSpan();
  const seen = await Promise.all(
    [a, b].map((t) =>
      withTrace(t, async () => {
        await new Promise((r) => setTimeout(r, 1));
        return currentTrace()?.traceId;
      }),
    ),
  );
  assert.deepEqual(seen, [a.traceId, b.traceId]);
  assert.equal(currentTrace(), undefined);
});

test("the logger still redacts payloads inside a trace", () => {
  const out = capture();
  const log = createLogger("ingest", { destination: out.stream });
  withTrace(childSpan(), () => log.info({ task: { payload: { iban: "DE89370400440532013000" } } }, "in"));
  assert.equal((out.lines()[0]?.task as { payload: unknown }).payload, "[redacted]");
});
