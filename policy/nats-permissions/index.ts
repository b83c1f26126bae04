import { randomBytes } from "node:crypto";
import { rateLimitBucket } from "../../shared/bus/rate-limit-store.js";
import type { PolicyDocument, Rule } from "../document/index.js";
import { actions, OPERATOR, type Action } from "../types.js";

/**
 * Defence in depth: the document's grants rendered as nats-server permissions per agent identity, so a
 * process that holds an agent's credentials but skips the library is still refused by the broker.
 * The broker sees subjects only: conditions (residency, approval, roles) stay with the library, a
 * `{flow}` token widens to `*`, and only unconditional enforce-mode forbids become deny entries.
 */

export interface BrokerPermissions {
  publish: { allow: string[]; deny: string[] };
  subscribe: { allow: string[]; deny: string[] };
}

/** Actions whose effect is a publish; `data.read` is a subscription. */
const publishing: readonly Action[] = ["event.emit", "task.complete", "data.write"];

/** What every JetStream client needs: the API, acks and flow-control replies out; inboxes and advisories in. */
export const jetStreamClientPublish = ["$JS.API.>", "$JS.ACK.>", "$JS.FC.>"] as const;
export const jetStreamClientSubscribe = ["_INBOX.>", "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"] as const;
/** Evidence and streams are never deleted or purged by an agent identity, whatever its grants. */
export const neverPublish = ["$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>"] as const;

const widen = (subject: string) => subject.split(".").map((t) => (t === "{flow}" ? "*" : t)).join(".");

function appliesTo(rule: Rule, agent: string, actions: readonly Action[]): boolean {
  return (rule.principals.includes(agent) || rule.principals.includes("*")) && (rule.actions === "*" || rule.actions.some((a) => actions.includes(a)));
}

/** Subjects a rule grants; a rule without a subject list covers every subject. */
const subjectsOf = (rule: Rule): string[] => (rule.resources?.subjects ?? [">"]).map(widen);

/** A data-class grant is a decryption right the runtime holds in memory: the broker has nothing to enforce for it. */
const isBrokerGrant = (rule: Rule) => !rule.resources?.dataClasses;

const unconditional = (rule: Rule) =>
  rule.mode === "enforce" && !rule.when && !rule.unless && !rule.resources?.endpoints && !rule.resources?.models && !rule.resources?.urls;

/** The agents a document names: in rule principals and in its broker identities (the operator is not an agent). */
export function agentsOf(doc: PolicyDocument): string[] {
  const names = new Set<string>(Object.keys(doc.agents));
  for (const rule of doc.rules) for (const p of rule.principals) if (p !== "*" && p !== OPERATOR) names.add(p);
  return [...names].sort();
}

export function brokerPermissions(doc: PolicyDocument, agent: string): BrokerPermissions {
  const pubAllow = new Set<string>(jetStreamClientPublish);
  const subAllow = new Set<string>(jetStreamClientSubscribe);
  const pubDeny = new Set<string>(neverPublish);
  const subDeny = new Set<string>();
  for (const rule of doc.rules.filter(isBrokerGrant)) {
    if (rule.effect === "permit") {
      if (appliesTo(rule, agent, publishing)) for (const s of subjectsOf(rule)) pubAllow.add(s);
      // Honouring a rate_limit obligation means taking a token from the shared KV counters.
      if (appliesTo(rule, agent, actions) && rule.obligations?.some((o) => o.kind === "rate_limit")) pubAllow.add(`$KV.${rateLimitBucket}.>`);
      if (appliesTo(rule, agent, ["data.read"])) for (const s of subjectsOf(rule)) subAllow.add(s);
    } else if (rule.effect === "forbid" && unconditional(rule)) {
      if (appliesTo(rule, agent, publishing)) for (const s of subjectsOf(rule)) pubDeny.add(s);
      if (appliesTo(rule, agent, ["data.read"])) for (const s of subjectsOf(rule)) subDeny.add(s);
    }
  }
  const identity = doc.agents[agent];
  for (const s of identity?.publish ?? []) pubAllow.add(widen(s));
  for (const s of identity?.subscribe ?? []) subAllow.add(widen(s));
  return {
    publish: { allow: [...pubAllow].sort(), deny: [...pubDeny].sort() },
    subscribe: { allow: [...subAllow].sort(), deny: [...subDeny].sort() },
  };
}

export interface BrokerCredentials {
  user: string;
  password: string;
}

/** One user per agent with a random password (for `mesh up` and tests). */
export function generateCredentials(agents: readonly string[]): Record<string, BrokerCredentials> {
  return Object.fromEntries(agents.map((a) => [a, { user: a, password: randomBytes(18).toString("base64url") }]));
}

export interface RenderOptions {
  /** Credentials per agent; agents without credentials get no broker user and cannot connect. */
  credentials: Readonly<Record<string, BrokerCredentials>>;
  /** Operator users (CLI, external publishers) with no restrictions. */
  unrestricted?: readonly BrokerCredentials[];
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => `[${xs.map(q).join(", ")}]`;

/** An `authorization { users = [...] }` block for nats-server's config file. */
export function renderNatsAuthorization(doc: PolicyDocument, opts: RenderOptions): string {
  const users: string[] = [];
  for (const agent of agentsOf(doc)) {
    const cred = opts.credentials[agent];
    if (!cred) continue;
    const p = brokerPermissions(doc, agent);
    const deny = (xs: string[]) => (xs.length ? `, deny: ${list(xs)}` : "");
    users.push(
      `    { user: ${q(cred.user)}, password: ${q(cred.password)}, permissions: {\n` +
        `        publish: { allow: ${list(p.publish.allow)}${deny(p.publish.deny)} }\n` +
        `        subscribe: { allow: ${list(p.subscribe.allow)}${deny(p.subscribe.deny)} }\n` +
        `    } }`,
    );
  }
  for (const cred of opts.unrestricted ?? []) users.push(`    { user: ${q(cred.user)}, password: ${q(cred.password)} }`);
  return `# rendered from policy revision ${doc.revision}\nauthorization {\n  users = [\n${users.join("\n")}\n  ]\n}\n`;
}
