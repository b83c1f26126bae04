import type { Bus } from "../../shared/bus/index.js";
import { canonicalJson } from "../../shared/envelope/canonical.js";
import { parsePolicyDocument } from "../document/index.js";
import { loadStoredPolicy } from "../distribution/index.js";
import { compilePolicy, type CompiledPolicy } from "../engine/compile.js";
import { readAuditRecords } from "./audit-verify.js";
import { actions, type Action, type DecisionRequest } from "../types.js";

export interface DecisionChange {
  request: DecisionRequest;
  /** How many replayed records had this exact request. */
  count: number;
  before: { effect: "allow" | "deny"; reasons: readonly string[] };
  after: { effect: "allow" | "deny"; reasons: readonly string[]; message: string };
}

export interface PolicyDiff {
  fromRevision: number;
  toRevision: number;
  replayed: number;
  distinct: number;
  /** Records that could not be turned into a request (too old a format, no action). */
  skipped: number;
  newlyDenied: DecisionChange[];
  newlyAllowed: DecisionChange[];
  /** Same effect, different deciding rules: worth a look before rollout. */
  reasonsChanged: DecisionChange[];
}

/**
 * Rebuilds the request an audited decision answered. Prefers the record's `request` (what the runtime
 * decided on, scrubbed); older records give back action, agent, subject and task facts.
 */
export function requestFromAuditRecord(record: unknown): DecisionRequest | undefined {
  if (!record || typeof record !== "object") return undefined;
  const r = record as Record<string, unknown>;
  if (r.kind !== undefined && r.kind !== "decision") return undefined;
  if (typeof r.action !== "string" || !(actions as readonly string[]).includes(r.action) || typeof r.agent !== "string") return undefined;
  const roles = Array.isArray(r.roles) ? (r.roles as string[]) : undefined;
  const principal = { agent: r.agent, ...(roles ? { roles } : {}) };
  const stored = r.request as Partial<DecisionRequest> | undefined;
  if (stored && typeof stored === "object" && stored.resource) {
    return { action: r.action as Action, principal, resource: stored.resource, ...(stored.context ? { context: stored.context } : {}) };
  }
  const task =
    typeof r.taskId === "string" && typeof r.flow === "string" && typeof r.region === "string"
      ? { id: r.taskId, flow: r.flow, region: r.region, tenant: String(r.tenant ?? "unknown"), classification: String(r.classification ?? "unknown") }
      : undefined;
  return {
    action: r.action as Action,
    principal,
    resource: typeof r.subject === "string" ? { subject: r.subject } : {},
    ...(task ? { context: { task } } : {}),
  };
}

/** `mesh policy diff`: replays audited decisions against a candidate and lists what would change. */
export function diffPolicies(current: CompiledPolicy, candidate: CompiledPolicy, records: readonly unknown[]): PolicyDiff {
  const distinct = new Map<string, { request: DecisionRequest; count: number }>();
  let skipped = 0;
  for (const rec of records) {
    const request = requestFromAuditRecord(rec);
    if (!request) {
      skipped++;
      continue;
    }
    const key = canonicalJson(request);
    const seen = distinct.get(key);
    if (seen) seen.count++;
    else distinct.set(key, { request, count: 1 });
  }
  const diff: PolicyDiff = {
    fromRevision: current.revision,
    toRevision: candidate.revision,
    replayed: records.length - skipped,
    distinct: distinct.size,
    skipped,
    newlyDenied: [],
    newlyAllowed: [],
    reasonsChanged: [],
  };
  for (const { request, count } of distinct.values()) {
    const before = current.decide(request);
    const after = candidate.decide(request);
    const change: DecisionChange = {
      request,
      count,
      before: { effect: before.effect, reasons: before.reasons },
      after: { effect: after.effect, reasons: after.reasons, message: after.message },
    };
    if (before.effect === "allow" && after.effect === "deny") diff.newlyDenied.push(change);
    else if (before.effect === "deny" && after.effect === "allow") diff.newlyAllowed.push(change);
    else if (canonicalJson(before.reasons) !== canonicalJson(after.reasons)) diff.reasonsChanged.push(change);
  }
  const byCount = (a: DecisionChange, b: DecisionChange) => b.count - a.count;
  diff.newlyDenied.sort(byCount);
  diff.newlyAllowed.sort(byCount);
  diff.reasonsChanged.sort(byCount);
  return diff;
}

function target(r: DecisionRequest): string {
  const res = r.resource;
  return res.subject ?? res.endpoint ?? res.model ?? res.url ?? "-";
}

export function formatPolicyDiff(d: PolicyDiff, limit = 20): string {
  const lines = [
    `policy diff: revision ${d.fromRevision} → ${d.toRevision}; ${d.replayed} audited decisions replayed (${d.distinct} distinct)${d.skipped ? `, ${d.skipped} records skipped` : ""}`,
    `  newly denied: ${d.newlyDenied.length}   newly allowed: ${d.newlyAllowed.length}   reasons changed: ${d.reasonsChanged.length}`,
  ];
  const section = (title: string, changes: DecisionChange[]) => {
    if (!changes.length) return;
    lines.push(title);
    for (const c of changes.slice(0, limit))
      lines.push(`  ${String(c.count).padStart(5)}×  ${c.request.principal.agent} ${c.request.action} ${target(c.request)}: ${c.before.effect} [${c.before.reasons.join(", ")}] → ${c.after.effect} [${c.after.reasons.join(", ")}]`);
    if (changes.length > limit) lines.push(`  ... and ${changes.length - limit} more`);
  };
  section("newly denied:", d.newlyDenied);
  section("newly allowed:", d.newlyAllowed);
  section("reasons changed:", d.reasonsChanged);
  if (!d.newlyDenied.length && !d.newlyAllowed.length && !d.reasonsChanged.length) lines.push("  no audited decision would change");
  return lines.join("\n");
}

/**
 * `mesh policy diff <file>`: the candidate against the policy in force (the verified KV revision, else
 * `fallback`, e.g. the shipped file), replaying the decisions in the AUDIT stream.
 */
export async function policyDiff(bus: Bus, opts: { candidateText: string; source?: string; trustedApprovers: readonly string[]; fallback: CompiledPolicy; limit?: number }): Promise<PolicyDiff> {
  const candidate = compilePolicy(parsePolicyDocument(opts.candidateText, opts.source));
  const current = (await loadStoredPolicy(bus, opts.trustedApprovers)) ?? opts.fallback;
  const records = await readAuditRecords(bus);
  return diffPolicies(current, candidate, opts.limit ? records.slice(-opts.limit) : records);
}
