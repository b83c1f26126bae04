import { test } from "node:test";
import assert from "node:assert/strict";
import { classifiers, endpoint, recordingGate, router, standIn, task, unsureTicket } from "./fixtures.js";

test("policy is asked before every model call, with the endpoint's region and trust", async (t) => {
  const s = await standIn(t);
  const { gate, asked } = recordingGate();
  const { router: r } = router({ endpoints: [endpoint(s)] }, gate);
  await r.classify("ticket-intent", unsureTicket(), task("p1", "eu"));
  assert.deepEqual(
    asked.map((a) => [a.tier, a.endpoint, a.modelVersion, a.region, a.trusted, a.task.id]),
    [
      ["small", "local", classifiers["ticket-intent"]!.version, "eu", true, "p1"],
      ["large", "stand-in-eu", "stand-in-large", "eu", false, "p1"],
    ],
  );
});

test("residency: a us task skips the eu endpoint the gate refuses and uses the allowed us one", async (t) => {
  const eu = await standIn(t);
  const us = await standIn(t);
  const { gate } = recordingGate((req) => req.tier === "small" || req.region === req.task.region || `residency: ${req.task.region} may not reach ${req.region}`);
  const { router: r } = router({ endpoints: [endpoint(eu), endpoint(us, { name: "stand-in-us", region: "us", model: "us-large" })] }, gate);
  const res = await r.classify("ticket-intent", unsureTicket(), task("r1", "us"));
  assert.equal(res.model, "us-large");
  assert.equal(eu.requests().length, 0, "nothing left for the refused region");
  assert.equal(us.requests().length, 1);
  assert.match(res.tried.find((x) => x.model === "stand-in-large")?.error ?? "", /residency: us may not reach eu/);
});

test("when the gate refuses every endpoint the task goes to a human with the gate's reason, and nothing leaves", async (t) => {
  const s = await standIn(t);
  const { gate } = recordingGate((req) => req.tier === "small" || "residency: eu data may not leave for this endpoint");
  const { router: r } = router({ endpoints: [endpoint(s)] }, gate);
  const res = await r.classify("ticket-intent", unsureTicket(), task());
  assert.equal(res.decision, "escalate");
  assert.equal(res.tier, "human");
  assert.equal(res.reasonCode, "policy_denied");
  assert.match(res.reason ?? "", /residency: eu data may not leave/);
  assert.equal(s.requests().length, 0);
});

test("with redact set, text passes the redactor before it leaves: the stand-in never sees the card number", async (t) => {
  const s = await standIn(t);
  const { gate } = recordingGate(() => true, true);
  const redact = (text: string) => text.replace(/\b\d{4}(?: ?\d{4}){3}\b/g, "[CARD]");
  const { router: r } = router({ endpoints: [endpoint(s)] }, gate, redact);
  const text = `${unsureTicket()} ref 4111 1111 1111 1111`;
  assert.equal((await r.classify("ticket-intent", text, task())).tier, "large");
  const drafted = await r.draft({ text, intent: "transaction_charged_twice" }, task());
  assert.ok(drafted.text && drafted.text.length > 0);
  const bodies = JSON.stringify(s.requests().map((q) => q.body));
  assert.equal(s.requests().length, 2);
  assert.doesNotMatch(bodies, /4111/);
  assert.match(bodies, /\[CARD\]/);
});

test("a draft is cached by model and input, and refused drafts say why", async (t) => {
  const s = await standIn(t);
  const { router: r } = router({ endpoints: [endpoint(s)] });
  const a = await r.draft({ text: "where is my card", intent: "card_arrival" }, task("d1"));
  const b = await r.draft({ text: "where is my card", intent: "card_arrival" }, task("d2"));
  assert.equal(a.cached, false);
  assert.ok(a.costUsd > 0);
  assert.equal(b.cached, true);
  assert.equal(b.text, a.text);
  assert.equal(s.requests().length, 1);
  const { gate } = recordingGate(() => "no drafts for this tenant");
  const { router: denied } = router({ endpoints: [endpoint(s)] }, gate);
  const d = await denied.draft({ text: "x", intent: "card_arrival" }, task());
  assert.equal(d.text, null);
  assert.equal(d.reasonCode, "policy_denied");
  assert.match(d.reason ?? "", /no drafts for this tenant/);
});

test("a draft passes the injected output checks before it is returned: redacted when allowed, withheld when not", async (t) => {
  const s = await standIn(t);
  const redacting = router({ endpoints: [endpoint(s)] }, undefined, undefined, {
    checkOutput: (text) => ({ allowed: true, text: text.replace(/specialist/g, "[REDACTED]"), reasons: [] }),
  }).router;
  const ok = await redacting.draft({ text: "where is my card", intent: "card_arrival" }, task("o1"));
  assert.match(ok.text ?? "", /\[REDACTED\]/);
  assert.doesNotMatch(ok.text ?? "", /specialist/);

  const refusing = router({ endpoints: [endpoint(s)] }, undefined, undefined, {
    checkOutput: () => ({ allowed: false, text: "", reasons: ["pii:card_number"] }),
  }).router;
  const withheld = await refusing.draft({ text: "where is my card", intent: "card_arrival" }, task("o2"));
  assert.equal(withheld.text, null);
  assert.equal(withheld.reasonCode, "output_rejected");
  assert.match(withheld.reason ?? "", /pii:card_number/);
});
