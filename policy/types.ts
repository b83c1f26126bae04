/** The vocabulary every caller of the policy library speaks: requests in, decisions out. */

export const actions = [
  "model.invoke",
  "tool.call",
  "data.read",
  "data.write",
  "event.emit",
  "task.complete",
  "review.decide",
  "policy.change",
  // An operator breaking and mending the mesh on purpose (`mesh chaos`): about no task, so no residency applies.
  "mesh.fault",
] as const;
export type Action = (typeof actions)[number];

export interface Principal {
  agent: string;
  instance?: string;
  roles?: readonly string[];
}

export interface Resource {
  subject?: string;
  url?: string;
  endpoint?: string;
  model?: string;
  region?: string;
  trusted?: boolean;
  category?: string;
  /**
   * The class of data a `data.read` is about (`personal`: the encrypted fields of a task). A permit covers a
   * classed resource only when it names the class, so an older grant on the same subjects never decrypts.
   */
  dataClass?: string;
}

export interface TaskFacts {
  id: string;
  flow: string;
  region: string;
  tenant: string;
  classification: string;
  category?: string;
  /** Flags of the task's validated payload a flow declares for policy (shared/envelope/flows.ts `attributeFields`). */
  attributes?: Readonly<Record<string, string | number | boolean>>;
}

export interface DecisionRequest {
  action: Action;
  principal: Principal;
  resource: Resource;
  context?: { task?: TaskFacts; approved?: boolean; approvals?: number; [k: string]: unknown };
}

export type Obligation =
  | { kind: "redact"; pii: true; fields?: readonly string[] }
  | { kind: "require_approval"; reason: string; approvers?: number }
  | { kind: "rate_limit"; key: string; limit: number; windowMs: number; window?: "fixed" | "sliding"; inFlightMs?: number }
  | { kind: "route_region"; region: string }
  | { kind: "budget"; key: string; limitUsd?: number; limitTokens?: number; windowMs: number }
  | { kind: "tighten_routing"; small?: number; large?: number };

/** The longest budget window a document may declare (a month); the counters' bucket keeps them twice as long. */
export const maxBudgetWindowMs = 31 * 86_400_000;

export interface Decision {
  effect: "allow" | "deny";
  /** Ids of the rules that decided (`default-deny` when none permitted). */
  reasons: readonly string[];
  /** One sentence naming the deciding rule and why; goes into errors and the DLQ. */
  message: string;
  obligations: readonly Obligation[];
  revision: number;
  /** Digest of the policy document that decided (CompiledPolicy.digest), for the audit record. */
  digest: string;
  /** Ids of dryrun rules that would have denied. */
  shadow: readonly string[];
  /** Ids of warn rules that would have denied; the action was still allowed. */
  warnings: readonly string[];
}

export type RuleEffect = "permit" | "forbid" | "obligate";
export type RuleMode = "enforce" | "warn" | "dryrun";

export interface TraceStep {
  rule: string;
  effect: RuleEffect;
  mode: RuleMode;
  outcome: "match" | "no-match" | "error" | "skipped";
  /** Why it matched, which check failed, or the error. */
  detail: string;
}

export const DEFAULT_DENY = "default-deny";

/** The principal of the `mesh` CLI: in rules like an agent, but a broker identity of its own, not an agent's. */
export const OPERATOR = "operator";
