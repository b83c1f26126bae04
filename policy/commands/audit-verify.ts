import { readIdentities, readStream, streamNames, type Bus } from "../../shared/bus/index.js";
import { verifyAuditChain, type AuditVerification, type KnownIdentity } from "../audit-chain/index.js";
import { auditStreamProblems, readAuditStreamInfo } from "./audit-stream.js";

/** Audit records as stored, oldest first, with the subject each was stored under; a record that is not JSON is kept as text so verify names it. */
export async function readAuditTrail(bus: Bus, opts: { filterSubject?: string; fromSeq?: number } = {}): Promise<{ records: unknown[]; subjects: string[] }> {
  const messages = await readStream(bus, streamNames.audit, opts);
  const decoder = new TextDecoder();
  return { records: messages.map((m) => parseLine(decoder.decode(m.data))), subjects: messages.map((m) => m.subject) };
}

export async function readAuditRecords(bus: Bus, opts: { filterSubject?: string } = {}): Promise<unknown[]> {
  return (await readAuditTrail(bus, opts)).records;
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

export interface AuditVerifyOptions {
  /** Identities trusted beyond KV mesh_identities (a --trust list); for a JSONL copy, the only ones. */
  identities?: ReadonlyMap<string, KnownIdentity>;
  /** Stream seq to start from: the auditor accepts that earlier records are not checked (and chains may start mid-way). */
  since?: number;
}

/**
 * `mesh audit verify`: the MESH_AUDIT stream (its configuration and first sequence too, and the identities
 * registered in KV mesh_identities), or a JSONL copy of it (no subjects, no stream: the chains and signatures only).
 */
export async function auditVerify(source: { bus: Bus } | { jsonl: string }, opts: AuditVerifyOptions = {}): Promise<AuditVerification> {
  const allowTruncatedStart = opts.since !== undefined && opts.since > 1;
  if (!("bus" in source)) return verifyAuditChain(parseAuditJsonl(source.jsonl), { identities: opts.identities ?? new Map(), allowTruncatedStart });
  const { bus } = source;
  const registered = await readIdentities(bus);
  const identities = new Map<string, KnownIdentity>([...registered, ...(opts.identities ?? [])]);
  const info = await readAuditStreamInfo(bus);
  const trail = await readAuditTrail(bus, opts.since ? { fromSeq: opts.since } : {});
  const v = verifyAuditChain(trail.records, { identities, subjects: trail.subjects, allowTruncatedStart });
  const streamProblems = auditStreamProblems(info, opts.since ? { since: opts.since } : {});
  return { ...v, ok: v.ok && streamProblems.length === 0, problems: [...streamProblems, ...v.problems] };
}

export function formatAuditVerification(v: AuditVerification, limit = 20): string {
  const head = `audit verify: ${v.records} records, ${v.instances} instance chain(s), ${v.checkpoints} signed checkpoint(s)`;
  const tail = v.unanchored.length
    ? [`  note: ${v.unanchored.reduce((n, t) => n + t.records, 0)} record(s) after the last checkpoint of ${v.unanchored.length} instance(s) (hash-linked, not yet signed: a running instance signs within ~1 s, a killed one never does)`]
    : [];
  if (v.ok) return [head, "  OK: no record altered, missing or out of order; every chain signed by a registered identity under its own name", ...tail].join("\n");
  const byKind = new Map<string, number>();
  for (const p of v.problems) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
  return [
    head,
    `  FAILED: ${v.problems.length} problem(s): ${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}`,
    ...(v.unverified.length ? [`  unverified instances (their records are not the agent's they claim): ${v.unverified.join(", ")}`] : []),
    ...v.problems.slice(0, limit).map((p) => `  ${p.position ? `position ${p.position}` : "stream"}: ${p.kind}: ${p.message}`),
    ...(v.problems.length > limit ? [`  … and ${v.problems.length - limit} more (--json lists every one)`] : []),
    ...(byKind.has("unknown-identity") ? ["  known identities come from KV mesh_identities, --trust name=U... and MESH_AUDIT_TRUST"] : []),
    ...tail,
  ].join("\n");
}
