import { compilePolicy, validatePolicyDocument, type PolicyDocumentInput } from "../../policy/index.js";
import type { AuditEntry } from "../../shared/runtime/audit-writer.js";
import type { Effect } from "../../shared/runtime/effects/pipeline.js";

/** A compiled policy from rules written inline, for the interceptors' tests. */
export function policyOf(rules: PolicyDocumentInput["rules"], extra: Omit<Partial<PolicyDocumentInput>, "rules"> = {}) {
  return compilePolicy(validatePolicyDocument({ revision: 7, ...extra, rules }));
}

/** An audit appender that keeps what it was given, in order. */
export function recordingAudit() {
  const records: AuditEntry[] = [];
  return { records, append: async (entry: AuditEntry) => void records.push(entry) };
}

export const ticketTask = { id: "env_1", flow: "ticket", region: "eu", tenant: "acme", classification: "internal" };

/** An effect of the invoice agent that counts its runs. */
export function countingEffect(over: Partial<Effect<string>> = {}): Effect<string> & { runs: number } {
  const effect = {
    action: "task.complete" as const,
    principal: { agent: "triage", instance: "triage-1" },
    resource: { subject: "mesh.result.ticket" },
    facts: { task: ticketTask },
    region: "eu",
    runs: 0,
    async run() {
      effect.runs++;
      return "published";
    },
    ...over,
  };
  return effect;
}
