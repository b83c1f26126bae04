import { redactText, scrubValue } from "./redact.js";

/**
 * pino options that keep PII out of every log line: the merged object is deep-scrubbed
 * (`formatters.log`) and string arguments — the message and its interpolations — are redacted
 * (`hooks.logMethod`). Path-based `redact` still censors whole fields; this catches free text.
 * @example pino({ ...piiLogOptions, redact: { paths: [...] } })
 */
export const piiLogOptions = {
  formatters: {
    log(object: Record<string, unknown>): Record<string, unknown> {
      return scrubValue(object);
    },
  },
  hooks: {
    logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void): void {
      method.apply(this, args.map((a) => (typeof a === "string" ? redactText(a).text : a)));
    },
  },
};
