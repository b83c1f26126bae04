import { pino, type Logger } from "pino";

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

export function createLogger(name: string, opts: { level?: string; redact?: string[] } = {}): Logger {
  return pino({
    name,
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: [...baseRedactPaths, ...(opts.redact ?? [])], censor: "[redacted]" },
    base: { agent: name, pid: process.pid },
  });
}
