export { catalogue, type MetricName, type MetricSpec } from "./catalogue.js";
export { createMetrics, type MeshMetrics } from "./metrics.js";
export { createLogger, baseRedactPaths, type Logger, type LoggerOptions } from "./logger.js";
export { parseTraceparent, formatTraceparent, childSpan, type TraceContext } from "./trace-context.js";
export { withTrace, currentTrace } from "./trace-scope.js";
export {
  DriftMonitor,
  BinnedWindow,
  SlidingRatio,
  PSI_ALERT_THRESHOLD,
  defaultFeatureEdges,
  binIndex,
  histogram,
  psi,
  type DriftMonitorOptions,
} from "./drift.js";
export { DriftResponse, type DriftChange, type DriftResponseOptions } from "./drift-response.js";
export { inSpan, setSpanBackend, type SpanBackend, type StartedSpan, type SpanKind, type SpanAttributes } from "./tracing.js";
export { startTracing, otelSettings, type Tracing, type TracedService } from "./otel-sdk.js";
export { parseExposition, sumBy, type Sample } from "./exposition.js";
