import { z } from "zod";
import { actions, maxBudgetWindowMs } from "../types.js";

/**
 * A NATS subject pattern as the broker reads it (`*` = one token, `>` = the rest, last only),
 * plus `{flow}` as a whole token meaning the task's flow.
 */
const subjectPattern = z.string().refine(
  (s) => {
    const tokens = s.split(".");
    return tokens.every((t, i) => t.length > 0 && (t !== ">" || i === tokens.length - 1) && !/[\s]/.test(t));
  },
  { message: "not a subject pattern: tokens must be non-empty, `>` only last, no spaces" },
);

const nonEmptyStrings = z.array(z.string().min(1)).min(1);

/** Every key present must hold (AND). Missing task facts that a key needs make the rule error. */
export const conditionSchema = z.strictObject({
  /** The resource's region against `residency[task.region]`; a resource without a region is a violation. */
  residency: z.enum(["allowed", "violated"]).optional(),
  /** `context.approved === value`; absent counts as false. */
  approved: z.boolean().optional(),
  /** At least this many distinct people approved (`context.approvals`, counted from verified decisions). */
  approvals: z.number().int().min(1).max(10).optional(),
  /** `resource.trusted === value`; absent counts as untrusted. */
  trusted: z.boolean().optional(),
  /** The principal holds at least one of these roles. */
  roles: nonEmptyStrings.optional(),
  /** `resource.category ?? task.category` is one of these (`@list` expands a named list). */
  category: nonEmptyStrings.optional(),
  flows: nonEmptyStrings.optional(),
  taskRegions: nonEmptyStrings.optional(),
  /** The resource's region is one of these. */
  regions: nonEmptyStrings.optional(),
  classifications: nonEmptyStrings.optional(),
  tenants: nonEmptyStrings.optional(),
  /** `context.<dotted.path> === value` for each entry. */
  contextEquals: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** `context.<dotted.path> >= value` for each entry; a missing value does not hold. */
  contextAtLeast: z.record(z.string().min(1), z.number()).optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

/** Strings in obligations may use {agent}, {flow}, {region} (task region), {tenant}, and {model} (the resource's). */
export const obligationSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("redact"), pii: z.literal(true).default(true), fields: z.array(z.string().min(1)).optional() }),
  z.strictObject({
    kind: z.literal("require_approval"),
    reason: z.string().min(1),
    /** Distinct approvers the review asks for (four-eyes: 2); the rule's `unless: { approvals: N }` must agree. */
    approvers: z.number().int().min(1).max(10).optional(),
  }),
  z.strictObject({
    kind: z.literal("rate_limit"),
    key: z.string().min(1),
    limit: z.number().int().positive(),
    windowMs: z.number().int().positive(),
    /**
     * `fixed` (default): counters per window aligned to the epoch, up to 2× the limit across a window edge.
     * `sliding`: at most `limit` in any window, counted when each effect is done (its answer came back).
     */
    window: z.enum(["fixed", "sliding"]).optional(),
    /** Sliding: how long an effect whose end was never recorded (its process died) counts as still in flight. */
    inFlightMs: z.number().int().positive().optional(),
  }),
  z.strictObject({ kind: z.literal("route_region"), region: z.string().min(1) }),
  /**
   * Spend of a `model.invoke` counted in a window shared by every replica (`key` may use {model} too, e.g.
   * "tenant:{tenant}" or "model:{model}"): a call reserves its worst case before it runs and is settled to what it
   * cost after; a call that would pass a limit is refused. At least one limit.
   */
  z
    .strictObject({
      kind: z.literal("budget"),
      key: z.string().min(1),
      limitUsd: z.number().positive().optional(),
      limitTokens: z.number().int().positive().optional(),
      windowMs: z.number().int().positive().max(maxBudgetWindowMs, `at most ${maxBudgetWindowMs} ms (31 days): counters outlive the longest window`),
    })
    .refine((b) => b.limitUsd !== undefined || b.limitTokens !== undefined, { message: "a budget needs limitUsd, limitTokens or both", path: ["limitUsd"] }),
  /**
   * The least confidence the router may accept from the small and the large model on this call (a bar above 1
   * sends every answer of that tier on: the small model's to the large one, the large one's to a human).
   */
  z
    .strictObject({ kind: z.literal("tighten_routing"), small: z.number().min(0).max(1.0001).optional(), large: z.number().min(0).max(1.0001).optional() })
    .refine((o) => o.small !== undefined || o.large !== undefined, { message: "tighten_routing needs a small or a large bar", path: ["small"] }),
]);

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "rule id must be lower-case kebab (a-z, 0-9, . _ -)"),
  description: z.string().optional(),
  effect: z.enum(["permit", "forbid", "obligate"]),
  /** What happens when this rule would deny (a forbid that matches, or an error): block, warn, or shadow. */
  mode: z.enum(["enforce", "warn", "dryrun"]).default("enforce"),
  actions: z.union([z.literal("*"), z.array(z.enum(actions)).min(1)]),
  /** Agent names, or `*` for any agent. */
  principals: z.array(z.string().min(1)).min(1),
  /** Each list present must match its resource field; a resource without that field does not match. */
  resources: z
    .strictObject({
      subjects: z.array(subjectPattern).min(1).optional(),
      endpoints: nonEmptyStrings.optional(),
      models: nonEmptyStrings.optional(),
      /** `*` in a URL pattern matches any run of characters. */
      urls: nonEmptyStrings.optional(),
      /**
       * Data classes (`personal`) a `data.read` may open. Such a grant is a decryption right held by the runtime,
       * not a subscription: it is never rendered into broker permissions.
       */
      dataClasses: nonEmptyStrings.optional(),
    })
    .optional(),
  when: conditionSchema.optional(),
  /** The rule does not apply when every key here holds. */
  unless: conditionSchema.optional(),
  obligations: z.array(obligationSchema).optional(),
});
export type Rule = z.infer<typeof ruleSchema>;

export const agentIdentitySchema = z.strictObject({
  /** Subjects the agent's broker identity may subscribe to, beyond what its grants imply. */
  subscribe: z.array(subjectPattern).default([]),
  /** Subjects the identity may publish to that are not policy-gated effects (audit, heartbeats). */
  publish: z.array(subjectPattern).default([]),
});

export const policyDocumentSchema = z
  .strictObject({
    revision: z.number().int().nonnegative(),
    description: z.string().optional(),
    /** Named string lists, referenced from conditions as `@name`. */
    lists: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.array(z.string())).default({}),
    /** Task region → the regions a resource it reaches may be in. */
    residency: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
    /** Log field paths that are always redacted (added to the logger's base paths). */
    logRedactPaths: z.array(z.string().min(1)).default([]),
    /** Broker identities per agent, rendered into nats-server authorization with the grants. */
    agents: z.record(z.string().min(1), agentIdentitySchema).default({}),
    rules: z.array(ruleSchema),
  })
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.rules.forEach((rule, i) => {
      const first = seen.get(rule.id);
      if (first !== undefined)
        ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id "${rule.id}" (first at rules.${first})` });
      else seen.set(rule.id, i);
      if (rule.effect === "permit" && rule.mode !== "enforce")
        ctx.addIssue({ code: "custom", path: ["rules", i, "mode"], message: `a permit cannot be "${rule.mode}" (modes soften denials); try a new grant with \`mesh policy diff\` instead` });
      if (rule.effect === "obligate" && !rule.obligations?.length)
        ctx.addIssue({ code: "custom", path: ["rules", i, "obligations"], message: "an obligate rule needs at least one obligation" });
      if (rule.obligations?.some((o) => o.kind === "budget") && (rule.actions === "*" || rule.actions.some((a) => a !== "model.invoke")))
        ctx.addIssue({ code: "custom", path: ["rules", i, "actions"], message: "a budget obligation meters model calls: the rule's actions must be [model.invoke]" });
      for (const ob of rule.obligations ?? [])
        if (ob.kind === "require_approval" && ob.approvers !== undefined && ob.approvers > 1 && rule.unless?.approvals !== ob.approvers)
          ctx.addIssue({
            code: "custom",
            path: ["rules", i, "unless", "approvals"],
            message: `the rule asks for ${ob.approvers} approvers, so it must lift with \`unless: { approvals: ${ob.approvers} }\``,
          });
      for (const part of ["when", "unless"] as const) {
        const cond = rule[part];
        if (!cond) continue;
        for (const [key, value] of Object.entries(cond)) {
          if (!Array.isArray(value)) continue;
          value.forEach((v: string, j: number) => {
            if (v.startsWith("@") && !(v.slice(1) in doc.lists))
              ctx.addIssue({ code: "custom", path: ["rules", i, part, key, j], message: `unknown list "${v}"` });
          });
        }
      }
    });
  });

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;
