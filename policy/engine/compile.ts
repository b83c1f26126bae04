import type { PolicyDocument, Rule } from "../document/schema.js";
import {
  actions,
  DEFAULT_DENY,
  type Action,
  type Decision,
  type DecisionRequest,
  type Obligation,
  type Resource,
  type RuleEffect,
  type RuleMode,
  type TraceStep,
} from "../types.js";
import { canonicalJson, sha256Hex } from "../../shared/envelope/canonical.js";
import { compileCondition, compileResourceChecks, compileUnless, unclassedOnly, type Check } from "./checks.js";
import { Evaluation, RuleEvaluationError } from "./evaluation.js";
import { compileObligation } from "./obligations.js";

export interface CompiledPolicy {
  readonly revision: number;
  /** sha256 of the canonical document: names the exact content that decided, as the signed revision's digest does. */
  readonly digest: string;
  readonly document: PolicyDocument;
  decide(req: DecisionRequest): Decision;
  explain(req: DecisionRequest): { decision: Decision; trace: readonly TraceStep[] };
}

interface CompiledRule {
  readonly id: string;
  readonly effect: RuleEffect;
  readonly mode: RuleMode;
  readonly description: string | undefined;
  readonly checks: readonly Check[];
  readonly obligations: readonly ((req: DecisionRequest) => Obligation)[];
}

/** The rules that can apply to one (action, agent), grouped by effect, each group in document order. */
interface Candidates {
  readonly forbid: readonly CompiledRule[];
  readonly permit: readonly CompiledRule[];
  readonly obligate: readonly CompiledRule[];
}

const EMPTY: readonly never[] = Object.freeze([]);

function compileRule(rule: Rule, doc: PolicyDocument): CompiledRule {
  const checks = [...compileResourceChecks(rule.resources)];
  if (rule.effect === "permit" && !rule.resources?.dataClasses) checks.push(unclassedOnly);
  if (rule.when) checks.push(...compileCondition(rule.when, doc.lists, doc.residency));
  if (rule.unless) checks.push(compileUnless(rule.unless, doc.lists, doc.residency));
  return {
    id: rule.id,
    effect: rule.effect,
    mode: rule.mode,
    description: rule.description,
    checks,
    obligations: (rule.obligations ?? []).map((o) => compileObligation(o, rule.id)),
  };
}

function buildIndex(rules: readonly { rule: Rule; compiled: CompiledRule }[]) {
  const agents = new Set<string>();
  for (const { rule } of rules) for (const p of rule.principals) if (p !== "*") agents.add(p);
  const group = (list: readonly CompiledRule[]): Candidates => ({
    forbid: list.filter((r) => r.effect === "forbid"),
    permit: list.filter((r) => r.effect === "permit"),
    obligate: list.filter((r) => r.effect === "obligate"),
  });
  const index = new Map<Action, { byAgent: Map<string, Candidates>; anyAgent: Candidates }>();
  for (const action of actions) {
    const forAction = rules.filter(({ rule }) => rule.actions === "*" || rule.actions.includes(action));
    const anyAgent = group(forAction.filter(({ rule }) => rule.principals.includes("*")).map((r) => r.compiled));
    const byAgent = new Map<string, Candidates>();
    for (const agent of agents) {
      const list = forAction.filter(({ rule }) => rule.principals.includes("*") || rule.principals.includes(agent));
      byAgent.set(agent, group(list.map((r) => r.compiled)));
    }
    index.set(action, { byAgent, anyAgent });
  }
  return index;
}

function describeTarget(resource: Resource): string {
  if (resource.subject !== undefined) return `on "${resource.subject}"`;
  if (resource.endpoint !== undefined) return `endpoint "${resource.endpoint}"${resource.model ? ` (model ${resource.model})` : ""}`;
  if (resource.model !== undefined) return `model "${resource.model}"`;
  if (resource.url !== undefined) return `"${resource.url}"`;
  return "(no resource)";
}

type Outcome = "match" | "no-match" | "error";

/** Runs a rule's checks; returns the outcome and, when tracing, the detail. */
function run(rule: CompiledRule, ev: Evaluation, trace: TraceStep[] | null): { outcome: Outcome; error?: string } {
  try {
    for (const check of rule.checks) {
      if (!check.test(ev)) {
        trace?.push({ rule: rule.id, effect: rule.effect, mode: rule.mode, outcome: "no-match", detail: `not: ${check.describe(ev)}` });
        return { outcome: "no-match" };
      }
    }
    trace?.push({ rule: rule.id, effect: rule.effect, mode: rule.mode, outcome: "match", detail: matchDetail(rule, ev) });
    return { outcome: "match" };
  } catch (err) {
    const error = err instanceof RuleEvaluationError ? err.message : `unexpected ${(err as Error)?.name ?? "error"}: ${(err as Error)?.message ?? String(err)}`;
    trace?.push({ rule: rule.id, effect: rule.effect, mode: rule.mode, outcome: "error", detail: error });
    return { outcome: "error", error };
  }
}

function matchDetail(rule: CompiledRule, ev: Evaluation): string {
  return rule.checks.length ? rule.checks.map((c) => c.describe(ev)).join("; ") : "applies unconditionally";
}

function safeDetail(rule: CompiledRule, ev: Evaluation): string {
  try {
    return matchDetail(rule, ev);
  } catch {
    return "";
  }
}

/**
 * Compiles a parsed document into an engine. Rules are indexed by action and agent once, so a
 * decision only visits the rules that can apply to its (action, agent).
 */
export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  const compiled = doc.rules.map((rule) => ({ rule, compiled: compileRule(rule, doc) }));
  const index = buildIndex(compiled);
  const revision = doc.revision;
  const digest = sha256Hex(canonicalJson(doc));

  function evaluate(req: DecisionRequest, trace: TraceStep[] | null): Decision {
    const forAction = index.get(req.action);
    const candidates = forAction ? (forAction.byAgent.get(req.principal.agent) ?? forAction.anyAgent) : undefined;
    if (!candidates) return deny([DEFAULT_DENY], `${refusal(req)}: unknown action (${DEFAULT_DENY})`, EMPTY, EMPTY, EMPTY);
    const ev = new Evaluation(req);
    const tally = new Tally();

    for (const rule of candidates.forbid) {
      const r = run(rule, ev, trace);
      if (r.outcome !== "no-match") tally.wouldDeny(rule, r.error);
    }

    let permits: CompiledRule[] | undefined;
    if (!tally.denials) {
      for (const rule of candidates.permit) {
        const r = run(rule, ev, trace);
        if (r.outcome === "match") (permits ??= []).push(rule);
        else if (r.outcome === "error") tally.wouldDeny(rule, r.error);
      }
    } else skip(candidates.permit, trace, "a forbid already decided");

    if (!tally.denials && permits) {
      for (const rule of candidates.obligate) {
        const r = run(rule, ev, trace);
        if (r.outcome === "match") tally.collect(rule, req);
        else if (r.outcome === "error") tally.wouldDeny(rule, r.error);
      }
      for (const rule of permits) tally.collect(rule, req);
    } else skip(candidates.obligate, trace, tally.denials ? "a forbid already decided" : "nothing permitted");

    const sh = tally.shadow ?? EMPTY;
    const wa = tally.warnings ?? EMPTY;
    const denials = tally.denials;
    if (denials) {
      const first = denials[0]!;
      const why = first.error !== undefined
        ? `rule "${first.rule.id}" failed (${first.error}) and a failing rule denies`
        : `rule "${first.rule.id}" forbids it${first.rule.description ? ` — ${first.rule.description}` : ""} (${safeDetail(first.rule, ev)})`;
      const more = denials.length > 1 ? `; also ${denials.slice(1).map((d) => `"${d.rule.id}"`).join(", ")}` : "";
      const denyObligations: Obligation[] = [];
      for (const d of denials) {
        if (d.error !== undefined) continue;
        for (const render of d.rule.obligations) {
          try {
            denyObligations.push(render(req));
          } catch {
            // The deny stands without the obligation that could not be rendered.
          }
        }
      }
      return deny(denials.map((d) => d.rule.id), `${refusal(req)}: ${why}${more}`, denyObligations.length ? denyObligations : EMPTY, sh, wa);
    }
    if (!permits) return deny([DEFAULT_DENY], `${refusal(req)}: no rule permits it (${DEFAULT_DENY})`, EMPTY, sh, wa);
    const ids = permits.map(ruleId);
    return {
      effect: "allow",
      reasons: ids,
      message: `${req.principal.agent} may ${req.action} ${describeTarget(req.resource)}: permitted by rule "${ids[0]}"`,
      obligations: tally.obligations ?? EMPTY,
      revision,
      digest,
      shadow: sh,
      warnings: wa,
    };
  }

  function deny(reasons: readonly string[], message: string, obligations: readonly Obligation[], shadow: readonly string[], warnings: readonly string[]): Decision {
    return { effect: "deny", reasons, message, obligations, revision, digest, shadow, warnings };
  }

  return {
    revision,
    digest,
    document: doc,
    decide: (req) => evaluate(req, null),
    explain: (req) => {
      const trace: TraceStep[] = [];
      const decision = evaluate(req, trace);
      return { decision, trace };
    },
  };
}

const ruleId = (r: CompiledRule) => r.id;
const refusal = (req: DecisionRequest) => `${req.principal.agent} may not ${req.action} ${describeTarget(req.resource)}`;

/**
 * What one decision has gathered so far. A class rather than closures: decide() is a hot path, and the
 * per-call closures (and their names, under tsx) cost more than the rules themselves.
 */
class Tally {
  shadow: string[] | undefined;
  warnings: string[] | undefined;
  denials: { rule: CompiledRule; error?: string }[] | undefined;
  obligations: Obligation[] | undefined;

  /** A would-deny (a matching forbid, or any rule that errors) counts according to the rule's mode. */
  wouldDeny(rule: CompiledRule, error?: string): void {
    if (rule.mode === "dryrun") (this.shadow ??= []).push(rule.id);
    else if (rule.mode === "warn") (this.warnings ??= []).push(rule.id);
    else (this.denials ??= []).push(error === undefined ? { rule } : { rule, error });
  }

  collect(rule: CompiledRule, req: DecisionRequest): void {
    for (const render of rule.obligations) {
      try {
        (this.obligations ??= []).push(render(req));
      } catch (err) {
        this.wouldDeny(rule, (err as Error).message);
      }
    }
  }
}

function skip(rules: readonly CompiledRule[], trace: TraceStep[] | null, why: string): void {
  if (trace) for (const rule of rules) trace.push({ rule: rule.id, effect: rule.effect, mode: rule.mode, outcome: "skipped", detail: why });
}
