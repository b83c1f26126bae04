import { childSpan, type TraceContext } from "./trace-context.js";
import { currentTrace, withTrace } from "./trace-scope.js";

/**
 * Spans. With an OTLP endpoint configured (startTracing) each span is an OpenTelemetry SDK span, sampled and
 * exported by the SDK; without one a span is only a trace scope: the ids still reach log lines and NATS headers,
 * and nothing is buffered. Either way the ids are W3C trace context carried in our own async scope, so the
 * `traceparent` of every hop and the `trace_id` of every log line are the SDK's ids when it is on.
 */

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";
export type SpanAttributes = Record<string, string | number | boolean>;

/** What inSpan hands a span backend: the SDK's tracer when tracing is on (see otel-sdk.ts). */
export interface SpanBackend {
  /** Starts a span under `parent` (a remote or local W3C context); the backend decides sampling and ids. */
  start(name: string, kind: SpanKind, attributes: SpanAttributes, parent: TraceContext | undefined): StartedSpan;
}

export interface StartedSpan {
  readonly context: TraceContext;
  end(error: unknown): void;
}

let backend: SpanBackend | undefined;

/** Installs the span backend (undefined: ids only, nothing recorded). Returns the previous one. */
export function setSpanBackend(next: SpanBackend | undefined): SpanBackend | undefined {
  const prev = backend;
  backend = next;
  return prev;
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
  if (!backend) return withTrace(childSpan(parent), fn);
  const span = backend.start(name, kind, attributes, parent);
  try {
    const result = await withTrace(span.context, fn);
    span.end(undefined);
    return result;
  } catch (err) {
    span.end(err);
    throw err;
  }
}
