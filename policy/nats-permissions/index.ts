import { subjects } from "../../shared/bus/subjects.js";
import type { PolicyDocument, Rule } from "../document/index.js";
import { actions, OPERATOR, type Action } from "../types.js";

/**
 * Defence in depth: the document's grants rendered as nats-server permissions per agent identity, so a
 * process that holds an agent's credentials but skips the library is still refused by the broker.
 * The broker sees subjects only: conditions (residency, approval, roles) stay with the library, a
 * `{flow}` token widens to `*`, and only unconditional enforce-mode forbids become deny entries.
 * The JetStream API is granted per subject, for what the agent's definition makes it use (its footprint):
 * no stream management, no message reads on streams it does not own, nothing of another agent's.
 */

export interface BrokerPermissions {
  /** It may publish a reply to the inbox of a request it received, and only to that one (nats-server allow_responses). */
  readonly allowResponses: boolean;
  publish: { allow: string[]; deny: string[] };
  subscribe: { allow: string[]; deny: string[] };
}

/** How far an agent reaches into a KV bucket: `info` opens it, `read` gets and watches keys, `write` also puts. */
export type BucketAccess = "info" | "read" | "write";

/** What an agent uses on the broker; derived from its definition and the document (shared/runtime/broker-footprint.ts). */
export interface BrokerFootprint {
  /** Durable consumers it pulls from: next, ack and info on exactly these. */
  readonly consumers: readonly { readonly stream: string; readonly durable: string }[];
  /** Streams it reads back through short-lived consumers of its own (readStream). */
  readonly reads: readonly string[];
  readonly buckets: readonly { readonly name: string; readonly access: BucketAccess }[];
  /** Object stores it reads (writes are the document's `agents:` grants, e.g. the trainer's `$O.mesh_models.>`). */
  readonly objectStores: readonly string[];
  /** Request subjects it answers: subscribed, and replies allowed to those who asked (nothing else in their inboxes). */
  readonly serves: readonly string[];
}

/** Evidence and streams are never deleted or purged by an agent identity, whatever its grants. */
export const neverPublish = ["$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>"] as const;

/** Replies to an identity's requests arrive under its own prefix, so no identity can read another's. */
export const inboxPrefixOf = (agent: string) => `_INBOX_${agent}`;

const api = "$JS.API";
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

/** Actions whose effect is a publish; `data.read` is a subscription. */
const publishing: readonly Action[] = ["event.emit", "task.complete", "data.write"];

/** The agents a document names: in rule principals and in its broker identities (the operator is not an agent). */
export function agentsOf(doc: PolicyDocument): string[] {
  const names = new Set<string>(Object.keys(doc.agents));
  for (const rule of doc.rules) for (const p of rule.principals) if (p !== "*" && p !== OPERATOR) names.add(p);
  return [...names].sort();
}

/** Whether the document obliges `agent` to take rate-limit tokens (shared counters in KV). */
export function takesRateLimitTokens(doc: PolicyDocument, agent: string): boolean {
  return doc.rules.some((r) => r.effect === "permit" && appliesTo(r, agent, actions) && r.obligations?.some((o) => o.kind === "rate_limit"));
}

/** Whether the document holds `agent`'s model calls to budgets (spend counters in KV): it may call a model, and a budget applies. */
export function spendsBudgets(doc: PolicyDocument, agent: string): boolean {
  const invokes = doc.rules.some((r) => r.effect === "permit" && appliesTo(r, agent, ["model.invoke"]));
  return invokes && doc.rules.some((r) => appliesTo(r, agent, ["model.invoke"]) && r.obligations?.some((o) => o.kind === "budget"));
}

/** Whether the document's `agents:` section lets `agent` publish into `$KV.<bucket>` (model pointers, dedupe marks). */
export function writesBucket(doc: PolicyDocument, agent: string, bucket: string): boolean {
  const all = `$KV.${bucket}.>`;
  // Either a broker-only publish in the agent's identity, or a policy grant to write the bucket (data.write).
  return (
    (doc.agents[agent]?.publish ?? []).some((s) => s === all) ||
    doc.rules.some((r) => r.effect === "permit" && appliesTo(r, agent, ["data.write"]) && (r.resources?.subjects ?? []).includes(all))
  );
}

/** A short-lived consumer of its own on `stream`: created without a name (or with one), pulled, or pushed to its inbox. */
function ephemeralConsumer(stream: string): string[] {
  return [`${api}.STREAM.INFO.${stream}`, `${api}.CONSUMER.CREATE.${stream}`, `${api}.CONSUMER.CREATE.${stream}.>`, `$JS.FC.${stream}.>`];
}

/** The API subjects a footprint needs, and nothing wider. */
export function jetStreamGrants(footprint: BrokerFootprint): string[] {
  const out = [`${api}.INFO`];
  for (const { stream, durable } of footprint.consumers) {
    out.push(`${api}.STREAM.INFO.${stream}`, `${api}.CONSUMER.INFO.${stream}.${durable}`, `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`, `$JS.ACK.${stream}.${durable}.>`);
  }
  for (const stream of footprint.reads) {
    // readStream pulls from an ephemeral whose name the server picks, so next/info cannot name it; on a stream
    // the agent reads anyway this lets it pull from that stream's consumers, never delete or create durables elsewhere.
    out.push(...ephemeralConsumer(stream), `${api}.CONSUMER.MSG.NEXT.${stream}.*`, `${api}.CONSUMER.INFO.${stream}.*`);
  }
  for (const { name, access } of footprint.buckets) {
    const stream = `KV_${name}`;
    out.push(`${api}.STREAM.INFO.${stream}`);
    if (access === "info") continue;
    // get: DIRECT.GET (allow_direct, nats-server ≥ 2.9) or STREAM.MSG.GET when bound without stream info;
    // keys/watch/history: ordered push consumers delivered to the agent's inbox.
    out.push(`${api}.DIRECT.GET.${stream}`, `${api}.DIRECT.GET.${stream}.>`, `${api}.STREAM.MSG.GET.${stream}`, ...ephemeralConsumer(stream));
    if (access === "write") out.push(`$KV.${name}.>`);
  }
  for (const name of footprint.objectStores) {
    const stream = `OBJ_${name}`;
    // Object get subscribes without binding the stream, so the client looks it up by subject (STREAM.NAMES).
    out.push(`${api}.STREAM.NAMES`, `${api}.STREAM.MSG.GET.${stream}`, `${api}.DIRECT.GET.${stream}`, `${api}.DIRECT.GET.${stream}.>`, ...ephemeralConsumer(stream));
  }
  return out;
}

export function brokerPermissions(doc: PolicyDocument, agent: string, footprint: BrokerFootprint): BrokerPermissions {
  const pubAllow = new Set<string>([subjects.auditOf(agent), ...jetStreamGrants(footprint)]);
  const subAllow = new Set<string>([`${inboxPrefixOf(agent)}.>`]);
  for (const { stream, durable } of footprint.consumers) subAllow.add(subjects.maxDeliveriesAdvisory(stream, durable));
  for (const subject of footprint.serves) subAllow.add(subject);
  const pubDeny = new Set<string>(neverPublish);
  const subDeny = new Set<string>();
  for (const rule of doc.rules.filter(isBrokerGrant)) {
    if (rule.effect === "permit") {
      if (appliesTo(rule, agent, publishing)) for (const s of subjectsOf(rule)) pubAllow.add(s);
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
    allowResponses: footprint.serves.length > 0,
    publish: { allow: [...pubAllow].sort(), deny: [...pubDeny].sort() },
    subscribe: { allow: [...subAllow].sort(), deny: [...subDeny].sort() },
  };
}

export interface RenderOptions {
  /** Public user nkey (U...) per agent; agents without one get no broker user and cannot connect. */
  readonly identities: Readonly<Record<string, string>>;
  /** What each agent uses on the broker; an agent without a footprint gets its document grants and no JetStream API. */
  readonly footprints: Readonly<Record<string, BrokerFootprint>>;
  /** Operator public nkeys (CLI, `mesh init`): no restrictions. */
  readonly operators: readonly string[];
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => `[${xs.map(q).join(", ")}]`;
const noFootprint: BrokerFootprint = { consumers: [], reads: [], buckets: [], objectStores: [], serves: [] };

/**
 * An `authorization { users = [...] }` block for nats-server's config file. It holds public keys only: each
 * client proves its identity by signing the server's nonce with its seed.
 */
export function renderNatsAuthorization(doc: PolicyDocument, opts: RenderOptions): string {
  const users: string[] = [];
  for (const agent of agentsOf(doc)) {
    const nkey = opts.identities[agent];
    if (!nkey) continue;
    const p = brokerPermissions(doc, agent, opts.footprints[agent] ?? noFootprint);
    const deny = (xs: string[]) => (xs.length ? `, deny: ${list(xs)}` : "");
    users.push(
      `    # ${agent}\n` +
        `    { nkey: ${q(nkey)}, permissions: {\n` +
        `        publish: { allow: ${list(p.publish.allow)}${deny(p.publish.deny)} }\n` +
        `        subscribe: { allow: ${list(p.subscribe.allow)}${deny(p.subscribe.deny)} }\n` +
        (p.allowResponses ? `        allow_responses: true\n` : "") +
        `    } }`,
    );
  }
  for (const nkey of opts.operators) users.push(`    # operator\n    { nkey: ${q(nkey)} }`);
  return `# rendered from policy revision ${doc.revision}\nauthorization {\n  users = [\n${users.join("\n")}\n  ]\n}\n`;
}
