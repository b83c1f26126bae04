import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from "pino";
import { currentTrace } from "./trace-scope.js";

export type { Logger };

/** Paths that never reach a log line in clear; policy may add more at start-up. */
export const baseRedactPaths = [
  "payload",
  "*.payload",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "apiKey",
  "*.apiKey",
];

export interface LoggerOptions {
  level?: string;
  redact?: string[];
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
  /** More pino options, e.g. the policy library's PII scrubber (formatters.log + hooks.logMethod). */
  extend?: Pick<PinoOptions, "formatters" | "hooks">;
}

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const options = {
    name,
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: [...baseRedactPaths, ...(opts.redact ?? [])], censor: "[redacted]" },
    base: { agent: name, pid: process.pid },
    mixin: traceFields,
    ...opts.extend,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** Joins a log line to its trace: `trace_id` and `span_id` when the line is written inside `withTrace`. */
function traceFields(): Record<string, string> {
  const trace = currentTrace();
  return trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {};
}
