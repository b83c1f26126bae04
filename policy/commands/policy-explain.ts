import type { Decision, TraceStep } from "../types.js";

/** `mesh policy explain`: the decision and, rule by rule, why each candidate matched, missed, errored or was skipped. */
export function formatExplain(result: { decision: Decision; trace: readonly TraceStep[] }): string {
  const d = result.decision;
  const lines = [`${d.effect.toUpperCase()} (revision ${d.revision}) — ${d.message}`];
  if (d.obligations.length) lines.push(`  obligations: ${d.obligations.map((o) => JSON.stringify(o)).join(", ")}`);
  if (d.warnings.length) lines.push(`  warnings (warn-mode rules that would deny): ${d.warnings.join(", ")}`);
  if (d.shadow.length) lines.push(`  shadow (dryrun rules that would deny): ${d.shadow.join(", ")}`);
  lines.push(result.trace.length ? "  trace:" : "  trace: no rule applies to this agent and action");
  for (const s of result.trace) lines.push(`    ${s.outcome.padEnd(8)} ${s.effect.padEnd(8)} ${s.mode.padEnd(7)} ${s.rule}: ${s.detail}`);
  return lines.join("\n");
}
