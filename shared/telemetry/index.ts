export { catalogue, type MetricName, type MetricSpec } from "./catalogue.js";
export { createMetrics, type MeshMetrics } from "./metrics.js";
export { createLogger, baseRedactPaths, type Logger } from "./logger.js";
export { parseTraceparent, formatTraceparent, childSpan, type TraceContext } from "./trace-context.js";
