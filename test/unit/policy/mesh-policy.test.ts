import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { defaultPolicyPath, loadPolicyFile, policyDocumentSchema, type Action, type DecisionRequest, type TaskFacts } from "../../../policy/index.js";

const policy = loadPolicyFile(defaultPolicyPath);
const ticket = (region = "eu", category?: string): TaskFacts => ({ id: "t-1", flow: "ticket", region, tenant: "acme", classification: "internal", ...(category ? { category } : {}) });
const invoice: TaskFacts = { id: "i-1", flow: "invoice", region: "eu", tenant: "acme", classification: "internal" };

function decide(agent: string, action: Action, resource: DecisionRequest["resource"], context: DecisionRequest["context"] = {}) {
  return policy.decide({ action, principal: { agent }, resource, context });
}
const emits = (agent: string, subject: string, task: TaskFacts) => decide(agent, "event.emit", { subject }, { task }).effect;

test("ingest may emit ingested envelopes and dead letters for any flow, and nothing else", () => {
  assert.equal(emits("ingest", "mesh.task.invoice.ingested", invoice), "allow");
  assert.equal(emits("ingest", "mesh.task.ticket.ingested", ticket()), "allow");
  assert.equal(emits("ingest", "mesh.dlq.invoice", invoice), "allow");
  assert.equal(emits("ingest", "mesh.result.invoice", invoice), "deny");
  assert.equal(emits("ingest", "mesh.task.invoice.matched", invoice), "deny");
});

test("invoice may emit its stages, review requests and dead letters, and complete invoice tasks only", () => {
  for (const s of ["mesh.task.invoice.matched", "mesh.review.invoice.requested", "mesh.dlq.invoice"]) assert.equal(emits("invoice", s, invoice), "allow", s);
  for (const s of ["mesh.task.ticket.matched", "mesh.review.ticket.requested", "mesh.dlq.ticket", "mesh.result.invoice"])
    assert.equal(emits("invoice", s, invoice), "deny", s);
  assert.equal(decide("invoice", "task.complete", { subject: "mesh.result.invoice" }, { task: invoice }).effect, "allow");
  assert.equal(decide("invoice", "task.complete", { subject: "mesh.result.ticket" }, { task: invoice }).effect, "deny");
});

test("an agent named rogue is granted nothing", () => {
  for (const [action, resource] of [
    ["event.emit", { subject: "mesh.task.invoice.ingested" }],
    ["event.emit", { subject: "mesh.dlq.invoice" }],
    ["task.complete", { subject: "mesh.result.invoice" }],
    ["model.invoke", { endpoint: "eu-llm", region: "eu", trusted: true }],
    ["review.decide", {}],
    ["policy.change", {}],
  ] as const) {
    const d = decide("rogue", action, resource, { task: invoice });
    assert.equal(d.effect, "deny", action);
    assert.ok(d.reasons.length > 0);
  }
});

test("denies an eu task reaching a us endpoint, and routes it back to eu", () => {
  const d = decide("triage", "model.invoke", { endpoint: "us-llm", model: "gpt", region: "us" }, { task: ticket("eu") });
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["residency"]);
  assert.match(d.message, /task region "eu" may reach \[eu\], resource region is "us"/);
  assert.deepEqual(d.obligations, [{ kind: "route_region", region: "eu" }]);
});

test("allows an eu task on an eu endpoint and a us task on a us endpoint, not across", () => {
  const invoke = (taskRegion: string, region: string) =>
    decide("triage", "model.invoke", { endpoint: `${region}-llm`, region, trusted: true }, { task: ticket(taskRegion) }).effect;
  assert.equal(invoke("eu", "eu"), "allow");
  assert.equal(invoke("us", "us"), "allow");
  assert.equal(invoke("us", "eu"), "deny");
  assert.equal(invoke("apac", "eu"), "deny");
});

test("an endpoint without a region is a residency violation", () => {
  const d = decide("triage", "model.invoke", { endpoint: "mystery" }, { task: ticket("eu") });
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["residency"]);
});

test("a call to an untrusted (paid) endpoint carries a redact obligation and the flow, tenant and model budgets; a trusted one neither", () => {
  const untrusted = decide("triage", "model.invoke", { endpoint: "eu-llm", model: "gpt-x", region: "eu" }, { task: ticket("eu") });
  assert.equal(untrusted.effect, "allow");
  assert.deepEqual(untrusted.obligations.map((o) => (o.kind === "budget" ? o.key : o.kind)), ["redact", "flow:ticket", `tenant:${ticket("eu").tenant}`, "model:gpt-x"]);
  const trusted = decide("triage", "model.invoke", { endpoint: "eu-local", region: "eu", trusted: true }, { task: ticket("eu") });
  assert.deepEqual(trusted.obligations, []);
});

test("a budget keyed by {model} on a call that names no model errors, and the erroring rule denies", () => {
  const anonymous = decide("triage", "model.invoke", { endpoint: "eu-llm", region: "eu" }, { task: ticket("eu") });
  assert.equal(anonymous.effect, "deny");
  assert.match(anonymous.message, /needs resource\.model/);
});

test("a likely prompt injection is refused with an approval obligation; a weak signal only warns", () => {
  const call = (score: number) =>
    decide("triage", "model.invoke", { endpoint: "eu-llm", region: "eu", trusted: true }, { task: ticket("eu"), screening: { score } });
  const blocked = call(0.95);
  assert.equal(blocked.effect, "deny");
  assert.deepEqual(blocked.reasons, ["prompt-injection-block"]);
  assert.equal(blocked.obligations[0]?.kind, "require_approval");
  const flagged = call(0.5);
  assert.equal(flagged.effect, "allow");
  assert.deepEqual(flagged.warnings, ["prompt-injection-flag"]);
  assert.deepEqual(call(0).warnings, []);
});

test("every high-risk banking category needs two distinct approvers to complete; others do not", () => {
  const categories = JSON.parse(readFileSync(new URL("../../../shared/datasets/banking77/categories.json", import.meta.url), "utf8")) as string[];
  const highRisk = new Set(policy.document.lists.high_risk);
  for (const c of highRisk) assert.ok(categories.includes(c), `${c} is a BANKING77 category`);
  for (const must of ["lost_or_stolen_card", "compromised_card", "card_payment_not_recognised", "request_refund", "Refund_not_showing_up"])
    assert.ok(highRisk.has(must), must);
  for (const category of categories) {
    const complete = (approvals: number) =>
      decide("triage", "task.complete", { subject: "mesh.result.ticket", category }, { task: ticket("eu"), approved: approvals > 0, approvals });
    const d = complete(0);
    if (highRisk.has(category)) {
      assert.equal(d.effect, "deny", category);
      assert.deepEqual(d.reasons, ["high-risk-needs-approval"]);
      assert.deepEqual(d.obligations, [{ kind: "require_approval", reason: "high-risk category needs two approvers", approvers: 2 }]);
      assert.equal(complete(1).effect, "deny", `${category} with one approver`);
      assert.equal(complete(2).effect, "allow", `${category} with two approvers`);
    } else assert.equal(d.effect, "allow", category);
  }
});

test("a rule that asks for two approvers but lifts on fewer is refused by name", () => {
  const rule = {
    id: "four-eyes",
    effect: "forbid",
    actions: ["task.complete"],
    principals: ["*"],
    unless: { approved: true },
    obligations: [{ kind: "require_approval", reason: "x", approvers: 2 }],
  };
  const parsed = policyDocumentSchema.safeParse({ revision: 1, rules: [rule] });
  assert.equal(parsed.success, false);
  assert.match(JSON.stringify(parsed.error?.issues), /must lift with `unless: \{ approvals: 2 \}`/);
});

test("the category may come from the task facts instead of the resource", () => {
  const d = decide("triage", "task.complete", { subject: "mesh.result.ticket" }, { task: ticket("eu", "compromised_card") });
  assert.equal(d.effect, "deny");
});

test("review decisions need the reviewer or approver role; review emits decisions, labels and corrections", () => {
  const decideAs = (roles: string[]) => policy.decide({ action: "review.decide", principal: { agent: "review", roles }, resource: {}, context: { task: ticket() } }).effect;
  assert.equal(decideAs(["reviewer"]), "allow");
  assert.equal(decideAs(["approver"]), "allow");
  assert.equal(decideAs([]), "deny");
  for (const s of ["mesh.review.ticket.decided", "mesh.label.ticket", "mesh.correction.ticket", "mesh.dlq.ticket"]) assert.equal(emits("review", s, ticket()), "allow", s);
  assert.equal(emits("review", "mesh.result.ticket", ticket()), "deny");
});

test("a document is read by extract for its tasks, and shown as printed (personal data) by review only to a reviewer or approver", () => {
  const reads = (agent: string, roles?: string[], dataClass?: string) =>
    policy.decide({
      action: "data.read",
      principal: { agent, ...(roles ? { roles } : {}) },
      resource: { subject: "mesh.document.document", region: "eu", ...(dataClass ? { dataClass } : {}) },
      context: {},
    }).effect;
  assert.equal(reads("extract"), "allow");
  assert.equal(reads("extract", undefined, "personal"), "deny", "extract reads text out of documents; it never shows one to a person");
  assert.equal(reads("review", ["reviewer"], "personal"), "allow");
  assert.equal(reads("review", ["approver"], "personal"), "allow");
  assert.equal(reads("review", [], "personal"), "deny");
  assert.equal(reads("review", undefined, "personal"), "deny");
  assert.equal(reads("review", ["reviewer"]), "deny", "review reads a document only to show it to a person");
  for (const agent of ["invoice", "triage", "trainer", "rogue"]) assert.equal(reads(agent, ["reviewer"], "personal"), "deny", agent);
});

test("trainer reads labels and publishes model versions", () => {
  assert.equal(decide("trainer", "data.read", { subject: "mesh.label.ticket" }).effect, "allow");
  assert.equal(decide("trainer", "event.emit", { subject: "mesh.model.ticket-intent.promoted" }).effect, "allow");
  assert.equal(decide("trainer", "data.write", { subject: "mesh.model.ticket-intent.v3" }).effect, "allow");
  assert.equal(decide("trainer", "event.emit", { subject: "mesh.result.ticket" }).effect, "deny");
});

test("the public social reply carries a global rate-limit obligation", () => {
  const d = decide("triage", "tool.call", { endpoint: "social-reply", region: "eu", trusted: true }, { task: ticket("eu") });
  assert.equal(d.effect, "allow");
  assert.deepEqual(d.obligations, [{ kind: "rate_limit", key: "triage:social-reply", limit: 30, windowMs: 60000 }]);
});

test("explain and decide agree on every combination of agent, action and resource", () => {
  const agents = ["ingest", "invoice", "triage", "review", "trainer", "rogue"];
  const actions: Action[] = ["model.invoke", "tool.call", "data.read", "data.write", "event.emit", "task.complete", "review.decide", "policy.change"];
  const resources: DecisionRequest["resource"][] = [
    { subject: "mesh.task.ticket.ingested" },
    { subject: "mesh.result.invoice" },
    { subject: "mesh.label.ticket" },
    { subject: "mesh.result.ticket", category: "request_refund" },
    { endpoint: "eu-llm", region: "eu" },
    { endpoint: "us-llm", region: "us", trusted: true },
    { endpoint: "social-reply", region: "eu", trusted: true },
    {},
  ];
  const contexts: DecisionRequest["context"][] = [undefined, { task: ticket("eu") }, { task: ticket("us"), approved: true, screening: { score: 0.5 } }];
  let denies = 0;
  for (const agent of agents)
    for (const action of actions)
      for (const resource of resources)
        for (const context of contexts) {
          const req = { action, principal: { agent, roles: ["reviewer"] }, resource, ...(context ? { context } : {}) };
          const d = policy.decide(req);
          assert.deepEqual(policy.explain(req).decision, d);
          assert.ok(d.reasons.length > 0 && d.message.length > 0);
          if (d.effect === "deny") denies++;
        }
  assert.ok(denies > 0);
});

test("personal data opens for the agent that consumes it and for a reviewer, and for nobody else", () => {
  const reads = (agent: string, subject: string, task: TaskFacts, roles?: string[]) =>
    policy.decide({ action: "data.read", principal: { agent, ...(roles ? { roles } : {}) }, resource: { subject, dataClass: "personal", region: task.region }, context: { task } }).effect;
  assert.equal(reads("triage", "mesh.task.ticket.ingested", ticket()), "allow");
  assert.equal(reads("triage", "mesh.review.ticket.decided", ticket()), "allow");
  assert.equal(reads("invoice", "mesh.task.invoice.ingested", invoice), "allow");
  assert.equal(reads("invoice", "mesh.task.ticket.ingested", ticket()), "deny", "invoice never opens tickets");
  assert.equal(reads("triage", "mesh.task.invoice.ingested", invoice), "deny");
  assert.equal(reads("ingest", "mesh.task.ticket.ingested", ticket()), "deny", "ingest seals, it never opens");
  assert.equal(reads("trainer", "mesh.label.ticket", ticket()), "deny", "a grant that names no data class opens none");
  assert.equal(reads("review", "mesh.review.ticket.requested", ticket(), ["reviewer"]), "allow");
  assert.equal(reads("review", "mesh.review.ticket.requested", ticket(), ["auditor"]), "deny");
  assert.equal(reads("review", "mesh.review.ticket.requested", ticket()), "deny", "the service itself, with no person behind it, sees sealed fields");
});
