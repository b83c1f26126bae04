import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy, parsePolicyDocument, type DecisionRequest, type PolicyDocumentInput } from "../../../policy/index.js";
import { policyDocumentSchema } from "../../../policy/index.js";

const task = { id: "t-1", flow: "ticket", region: "eu", tenant: "acme", classification: "internal" };

// Rules go through the real schema, so a malformed rule in a test fails loudly rather than silently.
function policy(rules: readonly unknown[], extra: Partial<PolicyDocumentInput> = {}) {
  return compilePolicy(policyDocumentSchema.parse({ revision: 7, residency: { eu: ["eu"], us: ["us"] }, ...extra, rules }));
}

const emit = (agent: string, subject: string, ctx: DecisionRequest["context"] = { task }): DecisionRequest => ({
  action: "event.emit",
  principal: { agent },
  resource: { subject },
  context: ctx,
});

test("with no rule that permits, the decision is default-deny and says so", () => {
  const p = policy([{ id: "a-emit", effect: "permit", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["x.y"] } }]);
  const d = p.decide(emit("rogue", "x.y"));
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["default-deny"]);
  assert.match(d.message, /rogue may not event\.emit on "x\.y": no rule permits it/);
  assert.equal(d.revision, 7);
});

test("a permit names itself in reasons and message", () => {
  const p = policy([{ id: "a-emit", effect: "permit", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["x.y"] } }]);
  const d = p.decide(emit("a", "x.y"));
  assert.equal(d.effect, "allow");
  assert.deepEqual(d.reasons, ["a-emit"]);
  assert.match(d.message, /permitted by rule "a-emit"/);
});

test("forbid beats permit, whatever the order of the rules", () => {
  const permit = { id: "allow-all", effect: "permit", actions: "*", principals: ["*"] } as const;
  const forbid = { id: "no-dlq", effect: "forbid", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["mesh.dlq.*"] }, description: "a may not dead-letter" } as const;
  for (const rules of [[permit, forbid], [forbid, permit]]) {
    const p = policy([...rules]);
    const d = p.decide(emit("a", "mesh.dlq.ticket"));
    assert.equal(d.effect, "deny");
    assert.deepEqual(d.reasons, ["no-dlq"]);
    assert.match(d.message, /rule "no-dlq" forbids it — a may not dead-letter/);
    assert.equal(p.decide(emit("a", "mesh.task.ticket.x")).effect, "allow");
  }
});

test("dryrun logs would-deny in shadow without blocking", () => {
  const p = policy([
    { id: "allow-a", effect: "permit", actions: ["event.emit"], principals: ["a"] },
    { id: "new-guard", effect: "forbid", mode: "dryrun", actions: ["event.emit"], principals: ["*"], resources: { subjects: ["mesh.dlq.>"] } },
  ]);
  const d = p.decide(emit("a", "mesh.dlq.ticket"));
  assert.equal(d.effect, "allow");
  assert.deepEqual(d.shadow, ["new-guard"]);
  assert.deepEqual(d.warnings, []);
  assert.deepEqual(p.decide(emit("a", "mesh.task.ticket.x")).shadow, []);
});

test("warn mode allows the action and lists the rule in warnings", () => {
  const p = policy([
    { id: "allow-a", effect: "permit", actions: ["event.emit"], principals: ["a"] },
    { id: "soft-guard", effect: "forbid", mode: "warn", actions: ["event.emit"], principals: ["a"] },
  ]);
  const d = p.decide(emit("a", "any.subject"));
  assert.equal(d.effect, "allow");
  assert.deepEqual(d.warnings, ["soft-guard"]);
  assert.deepEqual(d.shadow, []);
});

test("a rule that errors denies and says so", () => {
  const p = policy([
    { id: "allow-a", effect: "permit", actions: ["model.invoke"], principals: ["a"] },
    { id: "residency", effect: "forbid", actions: ["model.invoke"], principals: ["*"], when: { residency: "violated" } },
  ]);
  const d = p.decide({ action: "model.invoke", principal: { agent: "a" }, resource: { endpoint: "e", region: "eu" } });
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["residency"]);
  assert.match(d.message, /rule "residency" failed \(condition residency needs context\.task.*\) and a failing rule denies/);
});

test("a permit that errors denies too, even when another permit matches", () => {
  const p = policy([
    { id: "plain", effect: "permit", actions: ["event.emit"], principals: ["a"] },
    { id: "by-flow", effect: "permit", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["mesh.task.{flow}.x"] } },
  ]);
  const d = p.decide(emit("a", "mesh.task.ticket.x", {}));
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["by-flow"]);
  assert.match(d.message, /subject pattern "mesh\.task\.\{flow\}\.x" needs context\.task/);
});

test("a dryrun rule that errors is shadowed, not enforced", () => {
  const p = policy([
    { id: "allow-a", effect: "permit", actions: ["model.invoke"], principals: ["a"] },
    { id: "residency", effect: "forbid", mode: "dryrun", actions: ["model.invoke"], principals: ["*"], when: { residency: "violated" } },
  ]);
  const d = p.decide({ action: "model.invoke", principal: { agent: "a" }, resource: { endpoint: "e" } });
  assert.equal(d.effect, "allow");
  assert.deepEqual(d.shadow, ["residency"]);
});

test("subject patterns follow NATS wildcards: * is one token, > is the rest, {flow} is the task's flow", () => {
  const p = policy([
    { id: "star", effect: "permit", actions: ["event.emit"], principals: ["s"], resources: { subjects: ["mesh.task.*.ingested"] } },
    { id: "tail", effect: "permit", actions: ["event.emit"], principals: ["t"], resources: { subjects: ["mesh.model.>"] } },
    { id: "flow", effect: "permit", actions: ["event.emit"], principals: ["f"], resources: { subjects: ["mesh.task.{flow}.*"] } },
  ]);
  const allowed = (agent: string, subject: string) => p.decide(emit(agent, subject)).effect === "allow";
  assert.equal(allowed("s", "mesh.task.invoice.ingested"), true);
  assert.equal(allowed("s", "mesh.task.invoice.extra.ingested"), false);
  assert.equal(allowed("s", "mesh.task.ingested"), false);
  assert.equal(allowed("t", "mesh.model.triage.v2"), true);
  assert.equal(allowed("t", "mesh.model"), false);
  assert.equal(allowed("f", "mesh.task.ticket.classified"), true);
  assert.equal(allowed("f", "mesh.task.invoice.classified"), false);
  // A request that is itself a wildcard is only covered by a pattern at least as broad.
  assert.equal(allowed("s", "mesh.task.>"), false);
  assert.equal(allowed("t", "mesh.model.>"), true);
});

test("principals match by agent name or *, and rules of other agents never apply", () => {
  const p = policy([
    { id: "everyone", effect: "permit", actions: ["data.read"], principals: ["*"], resources: { subjects: ["public.>"] } },
    { id: "only-b", effect: "permit", actions: ["data.read"], principals: ["b"], resources: { subjects: ["secret.>"] } },
  ]);
  const read = (agent: string, subject: string) =>
    p.decide({ action: "data.read", principal: { agent }, resource: { subject } }).effect;
  assert.equal(read("anyone", "public.x"), "allow");
  assert.equal(read("b", "public.x"), "allow");
  assert.equal(read("b", "secret.x"), "allow");
  assert.equal(read("a", "secret.x"), "deny");
  assert.equal(p.decide({ action: "data.write", principal: { agent: "b" }, resource: { subject: "secret.x" } }).effect, "deny");
});

test("roles, approvals and context values are conditions", () => {
  const p = policy([
    { id: "decide", effect: "permit", actions: ["review.decide"], principals: ["review"], when: { roles: ["reviewer", "approver"] } },
    { id: "screen", effect: "forbid", actions: ["review.decide"], principals: ["*"], when: { contextAtLeast: { "screening.score": 0.5 } } },
  ]);
  const decide = (roles: string[], ctx: Record<string, unknown> = {}) =>
    p.decide({ action: "review.decide", principal: { agent: "review", roles }, resource: {}, context: ctx }).effect;
  assert.equal(decide(["reviewer"]), "allow");
  assert.equal(decide(["viewer"]), "deny");
  assert.equal(decide(["approver"], { screening: { score: 0.9 } }), "deny");
  assert.equal(decide(["approver"], { screening: { score: 0.1 } }), "allow");
});

test("obligations of permits and obligate rules are returned, with {agent} and {flow} filled in", () => {
  const p = policy([
    {
      id: "reply",
      effect: "permit",
      actions: ["tool.call"],
      principals: ["triage"],
      obligations: [{ kind: "rate_limit", key: "{agent}:{flow}:reply", limit: 5, windowMs: 60000 }],
    },
    { id: "redact", effect: "obligate", actions: ["tool.call"], principals: ["*"], when: { trusted: false }, obligations: [{ kind: "redact", pii: true }] },
  ]);
  const call = (trusted: boolean) => p.decide({ action: "tool.call", principal: { agent: "triage" }, resource: { endpoint: "x", trusted }, context: { task } });
  assert.deepEqual(call(false).obligations, [
    { kind: "redact", pii: true },
    { kind: "rate_limit", key: "triage:ticket:reply", limit: 5, windowMs: 60000 },
  ]);
  assert.deepEqual(call(true).obligations, [{ kind: "rate_limit", key: "triage:ticket:reply", limit: 5, windowMs: 60000 }]);
});

test("an obligate rule alone grants nothing", () => {
  const p = policy([{ id: "redact", effect: "obligate", actions: "*", principals: ["*"], obligations: [{ kind: "redact", pii: true }] }]);
  const d = p.decide(emit("a", "x"));
  assert.equal(d.effect, "deny");
  assert.deepEqual(d.reasons, ["default-deny"]);
  assert.deepEqual(d.obligations, []);
});

test("explain returns the same decision as decide and a trace step per candidate rule", () => {
  const p = policy([
    { id: "allow-a", effect: "permit", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["x.*"] } },
    { id: "deny-x-z", effect: "forbid", actions: ["event.emit"], principals: ["a"], resources: { subjects: ["x.z"] } },
    { id: "other-agent", effect: "permit", actions: ["event.emit"], principals: ["b"] },
  ]);
  for (const subject of ["x.y", "x.z", "q"]) {
    const { decision, trace } = p.explain(emit("a", subject));
    assert.deepEqual(decision, p.decide(emit("a", subject)));
    assert.deepEqual(trace.map((s) => s.rule).sort(), ["allow-a", "deny-x-z"]);
  }
  const { trace } = p.explain(emit("a", "x.y"));
  assert.deepEqual(
    trace.map((s) => [s.rule, s.outcome]),
    [["deny-x-z", "no-match"], ["allow-a", "match"]],
  );
  assert.match(trace[0]!.detail, /not: subject "x\.y" in \[x\.z\]/);
  const denied = p.explain(emit("a", "x.z")).trace;
  assert.deepEqual(denied.map((s) => [s.rule, s.outcome]), [["deny-x-z", "match"], ["allow-a", "skipped"]]);
});

test("the policy document is parsed with errors that name the field", () => {
  const bad = (text: string, field: RegExp) =>
    assert.throws(() => parsePolicyDocument(text, "p.yaml"), (err: Error & { code?: string }) => {
      assert.equal(err.code, "E_POLICY_INVALID");
      assert.match(err.message, /^p\.yaml: /);
      assert.match(err.message, field);
      return true;
    });
  bad("revision: 1\nrules:\n  - { id: a, effect: allow, actions: [event.emit], principals: [x] }\n", /rules\.0\.effect/);
  bad("revision: 1\nrules:\n  - { id: a, effect: permit, actions: [event.send], principals: [x] }\n", /rules\.0\.actions/);
  bad('{"revision": -1, "rules": []}', /revision/);
  bad("revision: 1\nrules:\n  - { id: a, effect: permit, actions: '*', principals: [x], resources: { subjects: ['a.>.b'] } }\n", /rules\.0\.resources\.subjects\.0/);
  bad("revision: 1\nrules:\n  - { id: a, effect: permit, actions: '*', principals: [x] }\n  - { id: a, effect: permit, actions: '*', principals: [y] }\n", /rules\.1\.id: duplicate rule id "a"/);
  bad("revision: 1\nrules:\n  - { id: a, effect: forbid, actions: '*', principals: [x], when: { category: ['@nope'] } }\n", /rules\.0\.when\.category\.0: unknown list "@nope"/);
  bad("revision: 1\nrules:\n  - { id: a, effect: permit, actions: '*', principals: [x], when: { colour: red } }\n", /rules\.0\.when/);
  bad("revision: 1\nrules:\n  - { id: a, effect: permit, mode: dryrun, actions: '*', principals: [x] }\n", /rules\.0\.mode: a permit cannot be "dryrun"/);
  bad("revision: 1\nrules: [\n", /not valid YAML/);
});

test("the same document parses from JSON and from YAML", () => {
  const yaml = "revision: 3\nrules:\n  - id: a\n    effect: permit\n    actions: [event.emit]\n    principals: [x]\n";
  const json = JSON.stringify({ revision: 3, rules: [{ id: "a", effect: "permit", actions: ["event.emit"], principals: ["x"] }] });
  assert.deepEqual(parsePolicyDocument(yaml), parsePolicyDocument(json));
});
