import type { Condition, Rule } from "../document/schema.js";
import { compileSubjectPattern } from "./subject-pattern.js";
import type { Evaluation } from "./evaluation.js";

/** One compiled test of a rule. `test` may throw RuleEvaluationError; `describe` is for messages and traces only. */
export interface Check {
  test(ev: Evaluation): boolean;
  describe(ev: Evaluation): string;
}

type Lists = Readonly<Record<string, readonly string[]>>;
type Residency = Readonly<Record<string, readonly string[]>>;

function expand(values: readonly string[], lists: Lists): Set<string> {
  const out = new Set<string>();
  for (const v of values) {
    if (v.startsWith("@")) for (const item of lists[v.slice(1)] ?? []) out.add(item);
    else out.add(v);
  }
  return out;
}

const show = (v: unknown): string => (v === undefined ? "none" : JSON.stringify(v));
const showList = (values: readonly string[]): string => `[${values.join(", ")}]`;

/** Exact names use a Set; names with `*` become anchored regexes where `*` matches any run. */
function nameMatcher(patterns: readonly string[]): (value: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes("*")));
  const globs = patterns
    .filter((p) => p.includes("*"))
    .map((p) => new RegExp(`^${p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
  if (globs.length === 0) return (v) => exact.has(v);
  return (v) => exact.has(v) || globs.some((g) => g.test(v));
}

function resourceField(field: "endpoint" | "model" | "url" | "dataClass", patterns: readonly string[]): Check {
  const match = nameMatcher(patterns);
  return {
    test: (ev) => {
      const v = ev.req.resource[field];
      return v !== undefined && match(v);
    },
    describe: (ev) => `${field} ${show(ev.req.resource[field])} in [${patterns.join(", ")}]`,
  };
}

function subjectCheck(sources: readonly string[]): Check {
  const patterns = sources.map(compileSubjectPattern);
  // Flow-free patterns first, so a request without task facts can still match them.
  patterns.sort((a, b) => Number(a.usesFlow) - Number(b.usesFlow));
  return {
    test: (ev) => {
      const tokens = ev.subjectTokens;
      if (tokens === undefined) return false;
      for (const p of patterns) {
        const flow = p.usesFlow ? ev.task(`subject pattern "${p.source}"`).flow : undefined;
        if (p.matches(tokens, flow)) return true;
      }
      return false;
    },
    describe: (ev) => `subject ${show(ev.req.resource.subject)} in [${sources.join(", ")}]`,
  };
}

export function compileResourceChecks(resources: Rule["resources"]): Check[] {
  if (!resources) return [];
  const checks: Check[] = [];
  if (resources.subjects) checks.push(subjectCheck(resources.subjects));
  if (resources.endpoints) checks.push(resourceField("endpoint", resources.endpoints));
  if (resources.models) checks.push(resourceField("model", resources.models));
  if (resources.urls) checks.push(resourceField("url", resources.urls));
  if (resources.dataClasses) checks.push(resourceField("dataClass", resources.dataClasses));
  return checks;
}

/** A permit that names no data class covers only unclassed resources: reading a class needs a grant that names it. */
export const unclassedOnly: Check = {
  test: (ev) => ev.req.resource.dataClass === undefined,
  describe: (ev) => `data class ${show(ev.req.resource.dataClass)} (this grant names none)`,
};

function taskField(field: "flow" | "region" | "classification" | "tenant", key: string, spelled: readonly string[], lists: Lists): Check {
  const values = expand(spelled, lists);
  return {
    test: (ev) => values.has(ev.task(`condition ${key}`)[field]),
    describe: (ev) => `task ${field} ${show(ev.req.context?.task?.[field])} in ${showList(spelled)}`,
  };
}

function contextValue(ev: Evaluation, path: readonly string[]): unknown {
  let v: unknown = ev.req.context;
  for (const part of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

export function compileCondition(cond: Condition, lists: Lists, residency: Residency): Check[] {
  const checks: Check[] = [];
  if (cond.residency !== undefined) {
    const wantAllowed = cond.residency === "allowed";
    const allowedFor = (ev: Evaluation): readonly string[] => residency[ev.dataRegion("condition residency")] ?? [];
    checks.push({
      test: (ev) => {
        const target = ev.req.resource.region;
        const allowed = target !== undefined && allowedFor(ev).includes(target);
        return allowed === wantAllowed;
      },
      describe: (ev) => {
        const region = ev.req.context?.task?.region ?? ev.req.context?.region;
        const allowed = typeof region === "string" ? (residency[region] ?? []) : [];
        return `task region ${show(region)} may reach [${allowed.join(", ")}], resource region is ${show(ev.req.resource.region)}`;
      },
    });
  }
  if (cond.approved !== undefined) {
    const want = cond.approved;
    checks.push({ test: (ev) => (ev.req.context?.approved === true) === want, describe: (ev) => `approved is ${ev.req.context?.approved === true} (want ${want})` });
  }
  if (cond.approvals !== undefined) {
    const want = cond.approvals;
    const count = (ev: Evaluation) => (typeof ev.req.context?.approvals === "number" ? ev.req.context.approvals : 0);
    checks.push({ test: (ev) => count(ev) >= want, describe: (ev) => `approvals is ${count(ev)} (want at least ${want})` });
  }
  if (cond.trusted !== undefined) {
    const want = cond.trusted;
    checks.push({ test: (ev) => (ev.req.resource.trusted === true) === want, describe: (ev) => `resource trusted is ${ev.req.resource.trusted === true} (want ${want})` });
  }
  if (cond.roles) {
    const roles = expand(cond.roles, lists);
    checks.push({
      test: (ev) => ev.req.principal.roles?.some((r) => roles.has(r)) === true,
      describe: (ev) => `principal roles ${show(ev.req.principal.roles ?? [])} include one of ${showList(cond.roles ?? [])}`,
    });
  }
  if (cond.category) {
    const cats = expand(cond.category, lists);
    const category = (ev: Evaluation) => ev.req.resource.category ?? ev.req.context?.task?.category;
    checks.push({
      test: (ev) => {
        const c = category(ev);
        return c !== undefined && cats.has(c);
      },
      describe: (ev) => `category ${show(category(ev))} in ${showList(cond.category ?? [])}`,
    });
  }
  if (cond.flows) checks.push(taskField("flow", "flows", cond.flows, lists));
  if (cond.taskRegions) checks.push(taskField("region", "taskRegions", cond.taskRegions, lists));
  if (cond.classifications) checks.push(taskField("classification", "classifications", cond.classifications, lists));
  if (cond.tenants) checks.push(taskField("tenant", "tenants", cond.tenants, lists));
  if (cond.regions) {
    const regions = expand(cond.regions, lists);
    checks.push({
      test: (ev) => ev.req.resource.region !== undefined && regions.has(ev.req.resource.region),
      describe: (ev) => `resource region ${show(ev.req.resource.region)} in ${showList(cond.regions ?? [])}`,
    });
  }
  for (const [path, want] of Object.entries(cond.contextEquals ?? {})) {
    const parts = path.split(".");
    checks.push({ test: (ev) => contextValue(ev, parts) === want, describe: (ev) => `context.${path} is ${show(contextValue(ev, parts))}, want ${show(want)}` });
  }
  for (const [path, min] of Object.entries(cond.contextAtLeast ?? {})) {
    const parts = path.split(".");
    checks.push({
      test: (ev) => {
        const v = contextValue(ev, parts);
        return typeof v === "number" && v >= min;
      },
      describe: (ev) => `context.${path} is ${show(contextValue(ev, parts))}, at least ${min}`,
    });
  }
  return checks;
}

/** `unless` as one check: the rule applies only when not every unless-condition holds. */
export function compileUnless(cond: Condition, lists: Lists, residency: Residency): Check {
  const inner = compileCondition(cond, lists, residency);
  return {
    test: (ev) => !inner.every((c) => c.test(ev)),
    describe: (ev) => `unless [${inner.map((c) => c.describe(ev)).join(" and ")}]`,
  };
}

