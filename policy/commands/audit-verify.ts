import { readStream, streamNames, type Bus } from "../../shared/bus/index.js";
import { verifyAuditChain, type AuditVerification, type VerifyOptions } from "../audit-chain/index.js";

/** Audit records as stored, oldest first; a record that is not JSON is kept as text so verify names it. */
export async function readAuditRecords(bus: Bus, opts: { filterSubject?: string } = {}): Promise<unknown[]> {
  const messages = await readStream(bus, streamNames.audit, opts.filterSubject ? { filterSubject: opts.filterSubject } : {});
  const decoder = new TextDecoder();
  return messages.map((m) => parseLine(decoder.decode(m.data)));
}

/** Records from a JSONL copy (one record per line; blank lines ignored). */
export function parseAuditJsonl(text: string): unknown[] {
  return text.split("\n").filter((l) => l.trim() !== "").map(parseLine);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

/** `mesh audit verify`: the whole AUDIT stream, or a JSONL copy of it. */
export async function auditVerify(source: { bus: Bus } | { jsonl: string }, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const records = "bus" in source ? await readAuditRecords(source.bus) : parseAuditJsonl(source.jsonl);
  return verifyAuditChain(records, opts);
}

export function formatAuditVerification(v: AuditVerification, limit = 20): string {
  const head = `audit verify: ${v.records} records, ${v.instances} instance chain(s), ${v.checkpoints} signed checkpoint(s)`;
  if (v.ok) return `${head}\n  OK: no record altered, missing or out of order`;
  const byKind = new Map<string, number>();
  for (const p of v.problems) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
  return [
    head,
    `  FAILED: ${v.problems.length} problem(s): ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}`,
    ...v.problems.slice(0, limit).map((p) => `  position ${p.position}: ${p.kind}: ${p.message}`),
    ...(v.problems.length > limit ? [`  … and ${v.problems.length - limit} more (--json lists every one)`] : []),
  ].join("\n");
}
