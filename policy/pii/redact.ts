import { detectPii, type Finding, type PiiEntity } from "./detectors.js";

/**
 * Replaces every PII value in free text with `[ENTITY]`.
 * @example redactText("card 4111 1111 1111 1111") // { text: "card [CREDIT_CARD]", findings: [...] }
 */
export function redactText(text: string, entities?: ReadonlySet<PiiEntity>): { text: string; findings: Finding[] } {
  const findings = detectPii(text, entities);
  if (findings.length === 0) return { text, findings };
  let out = "";
  let at = 0;
  for (const f of findings) {
    out += `${text.slice(at, f.start)}[${f.entity}]`;
    at = f.end;
  }
  return { text: out + text.slice(at), findings };
}

/** Keys whose values are secrets whatever they look like. */
const secretKey = /^(password|passwd|secret|token|api[-_]?key|authorization|cookie|seed|private[-_]?key)$/i;

/**
 * A deep copy of a value with PII redacted from every string (by `scrubText`, redactText unless a caller
 * memoises it) and secret-named keys censored: for log lines, audit records and DLQ entries. Cycles become
 * "[circular]"; depth is capped.
 */
export function scrubValue<T>(value: T, maxDepth = 32, scrubText: (text: string) => string = (text) => redactText(text).text): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return scrubText(v);
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return "[circular]";
    if (depth >= maxDepth) return "[too deep]";
    if (v instanceof Date) return v.toISOString();
    if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v instanceof Error) return { name: v.name, message: walk(v.message, depth + 1) };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = secretKey.test(k) ? "[redacted]" : walk(x, depth + 1);
    seen.delete(v);
    return out;
  };
  return walk(value, 0) as T;
}
