import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, startTestService, tokens } from "./harness.js";
import { invoiceRequest, ticketRequest } from "./fixtures.js";

test("unauthenticated requests get 401 on every API route", async (t) => {
  const { service, queue } = await startTestService(t);
  const req = ticketRequest("where is my card");
  await queue.intake(req);
  const anon = new Client(service.url);
  for (const [method, path] of [
    ["GET", "/api/queue"],
    ["GET", "/api/session"],
    ["GET", `/api/items/${req.envelopeId}`],
    ["GET", `/api/items/${req.envelopeId}/document`],
    ["POST", `/api/items/${req.envelopeId}/claim`],
    ["POST", `/api/items/${req.envelopeId}/decision`],
  ] as const) {
    const res = await anon.request(method, path, method === "POST" ? { decision: "approve" } : undefined);
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.json.error.code, "E_UNAUTHENTICATED");
  }
  assert.equal((await anon.signIn("not-a-token-at-all")).status, 401);
  const forged = new Client(service.url);
  forged.cookie = `mesh_review_session=${"A".repeat(43)}`;
  assert.equal((await forged.request("GET", "/api/queue")).status, 401);
});

test("a signed-in user without a review role gets 403; a reviewer gets 403 on an approval-required item", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const risky = ticketRequest("my card was stolen", { code: "approval_required" });
  await queue.intake(risky);

  const eve = new Client(service.url);
  assert.equal((await eve.signIn(tokens.eve)).status, 200);
  assert.equal((await eve.request("GET", "/api/queue")).status, 403);
  assert.equal((await eve.request("GET", `/api/items/${risky.envelopeId}`)).status, 403);
  assert.equal((await eve.request("GET", `/api/items/${risky.envelopeId}/document`)).status, 403);

  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  assert.equal((await alice.request("GET", "/api/queue")).status, 200, "a reviewer sees the queue");
  const claim = await alice.request("POST", `/api/items/${risky.envelopeId}/claim`);
  assert.equal(claim.status, 403);
  assert.equal(claim.json.error.code, "E_FORBIDDEN");

  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  assert.equal((await bob.request("POST", `/api/items/${risky.envelopeId}/claim`)).status, 200);
  assert.equal((await alice.request("POST", `/api/items/${risky.envelopeId}/decision`, { decision: "approve" })).status, 403);
  const unconfirmed = await bob.request("POST", `/api/items/${risky.envelopeId}/decision`, { decision: "approve" });
  assert.equal(unconfirmed.status, 400);
  assert.match(unconfirmed.json.error.message, /^confirmed: /);
  assert.equal((await bob.request("POST", `/api/items/${risky.envelopeId}/decision`, { decision: "approve", confirmed: true })).status, 200);
  assert.equal(decisions.length, 1);
  assert.equal(decisions[0]!.reviewer.id, "bob");
  assert.deepEqual(decisions[0]!.corrections, { intent: "card_arrival" }, "the approval carries the intent bob saw");
  assert.deepEqual([decisions[0]!.label?.prediction, decisions[0]!.label?.correction], ["card_arrival", null]);
});

test("the session cookie is HttpOnly and SameSite=Strict, and signing out ends it", async (t) => {
  const { service } = await startTestService(t);
  const res = await fetch(`${service.url}/api/session`, {
    method: "POST",
    headers: { origin: service.url, "content-type": "application/json" },
    body: JSON.stringify({ token: tokens.alice }),
  });
  const cookie = res.headers.get("set-cookie") ?? "";
  assert.match(cookie, /^mesh_review_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.doesNotMatch(JSON.stringify(await res.json()), new RegExp(cookie.split(";")[0]!.split("=")[1]!), "the session id is only in the cookie");

  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  assert.equal((await alice.request("GET", "/api/queue")).status, 200);
  const stolen = alice.cookie;
  assert.equal((await alice.request("POST", "/api/session/end")).status, 200);
  const replay = new Client(service.url);
  replay.cookie = stolen;
  assert.equal((await replay.request("GET", "/api/queue")).status, 401, "a signed-out session id is dead");
});

test("every POST needs the server's Origin and the session's CSRF token", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const req = ticketRequest("csrf target");
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);

  const noToken = await alice.request("POST", `/api/items/${req.envelopeId}/claim`, undefined, { "x-csrf-token": "" });
  assert.equal(noToken.status, 403);
  assert.equal(noToken.json.error.code, "E_CSRF");
  assert.equal((await alice.request("POST", `/api/items/${req.envelopeId}/claim`, undefined, { "x-csrf-token": "x".repeat(43) })).status, 403);

  const crossSite = new Client(service.url, "https://evil.example");
  crossSite.cookie = alice.cookie;
  crossSite.csrf = alice.csrf;
  const evil = await crossSite.request("POST", `/api/items/${req.envelopeId}/claim`);
  assert.equal(evil.status, 403);
  assert.match(evil.json.error.message, /origin/);

  const noOrigin = new Client(service.url, null);
  noOrigin.cookie = alice.cookie;
  noOrigin.csrf = alice.csrf;
  assert.equal((await noOrigin.request("POST", `/api/items/${req.envelopeId}/claim`)).status, 403);
  assert.equal((await new Client(service.url, "https://evil.example").signIn(tokens.alice)).status, 403, "no sign-in from another site");

  assert.equal((await queue.get(req.envelopeId))!.claim, null, "none of the refused posts changed anything");
  assert.equal(decisions.length, 0);
  assert.equal((await alice.request("POST", `/api/items/${req.envelopeId}/claim`)).status, 200);
});

test("a configured proxy origin may post", async (t) => {
  const { service, queue } = await startTestService(t, { REVIEW_ORIGINS: "https://review.example.com" });
  const req = ticketRequest("via proxy");
  await queue.intake(req);
  const viaProxy = new Client(service.url, "https://review.example.com");
  assert.equal((await viaProxy.signIn(tokens.alice)).status, 200);
  assert.equal((await viaProxy.request("POST", `/api/items/${req.envelopeId}/claim`)).status, 200);
});

test("correcting the intent sends decision, corrections and a redacted label", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const req = ticketRequest("My card 4111 1111 1111 1111 never arrived, mail me at jo@example.com");
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);

  const unclaimed = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "correct", corrections: { intent: "card_arrival" } });
  assert.equal(unclaimed.status, 409, "deciding needs a claim");
  await alice.request("POST", `/api/items/${req.envelopeId}/claim`);

  const unknownField = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "correct", corrections: { amount: 3 } });
  assert.equal(unknownField.status, 400);
  assert.match(unknownField.json.error.message, /corrections\.amount/);
  const badIntent = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "correct", corrections: { intent: "<script>" } });
  assert.equal(badIntent.status, 400);
  assert.match(badIntent.json.error.message, /corrections\.intent/);
  const badReason = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "reject", reasonCode: "because" });
  assert.equal(badReason.status, 400);
  assert.match(badReason.json.error.message, /reasonCode/);

  const ok = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "correct", corrections: { intent: "lost_or_stolen_card" } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(decisions.length, 1);
  const d = decisions[0]!;
  assert.equal(d.decision, "correct");
  assert.deepEqual(d.corrections, { intent: "lost_or_stolen_card" });
  assert.equal(d.label?.prediction, "card_arrival");
  assert.equal(d.label?.correction, "lost_or_stolen_card");
  assert.equal(d.label?.modelVersion, "abc123def456");
  assert.doesNotMatch(d.label!.text, /4111|jo@example\.com/);
  assert.match(d.label!.text, /never arrived/);

  assert.equal((await alice.request("GET", "/api/queue")).json.items.length, 0, "a decided item leaves the queue");
  const again = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "approve" });
  assert.equal(again.status, 409);
  assert.equal(decisions.length, 1);
});

test("a rejection carries its reason code and makes no label", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const req = ticketRequest("buy crypto now!!!");
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  await alice.request("POST", `/api/items/${req.envelopeId}/claim`);
  assert.equal((await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "reject", reasonCode: "spam" })).status, 200);
  assert.equal(decisions[0]!.reasonCode, "spam");
  assert.equal(decisions[0]!.label, undefined);
});

test("approving with no model suggestion is refused: the reviewer must correct", async (t) => {
  const { service, queue } = await startTestService(t);
  const req = ticketRequest("???", { label: null });
  (req as { suggestions: unknown }).suggestions = [{ tier: "small", model: "ticket-intent", label: null, confidence: 0.1 }];
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  await alice.request("POST", `/api/items/${req.envelopeId}/claim`);
  const res = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "approve" });
  assert.equal(res.status, 400);
  assert.match(res.json.error.message, /correct it instead/);
});

test("the item view redacts PII in the input, the reason, the suggestions and the draft", async (t) => {
  const { service, queue } = await startTestService(t);
  const req = ticketRequest("Card 4111 1111 1111 1111 stolen, call +44 20 7946 0958");
  (req as { reason: string }).reason = "policy: jo@example.com asked for approval";
  (req as { suggestions: unknown }).suggestions = {
    label: "lost_or_stolen_card",
    confidence: 0.93,
    tier: "small",
    model: "ticket-intent",
    modelVersion: "v1",
    suggestedReply: "We blocked card 4111 1111 1111 1111.",
  };
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const view = await alice.request("GET", `/api/items/${req.envelopeId}`);
  assert.equal(view.status, 200);
  assert.doesNotMatch(view.text, /4111|7946|jo@example\.com/);
  assert.match(view.json.input.text, /stolen/);
  assert.deepEqual(
    view.json.suggestions.map((s: { source: string; label: string; confidence: number; version: string }) => [s.source, s.label, s.confidence, s.version]),
    [["small · ticket-intent", "lost_or_stolen_card", 0.93, "v1"]],
  );
  assert.equal(view.json.form.fields[0].path, "intent");
  assert.equal(view.json.form.fields[0].options.length, 77);
  const queueRes = await alice.request("GET", "/api/queue");
  assert.doesNotMatch(queueRes.text, /4111|7946/);
});

test("an item whose task names no document has none to show: 404, and the runtime is not asked", async (t) => {
  const { service, queue } = await startTestService(t);
  const req = ticketRequest("where is my card");
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const res = await alice.request("GET", `/api/items/${req.envelopeId}/document`);
  assert.equal(res.status, 404);
  assert.match(res.json.error.message, /names no document: payload\.document/);
  assert.equal((await alice.request("GET", `/api/items/env_${"0".repeat(32)}/document`)).status, 404);
});

test("pages and API answers carry a strict CSP with no inline script; assets are served from the package", async (t) => {
  const { service } = await startTestService(t);
  const page = await fetch(`${service.url}/`);
  assert.equal(page.status, 200);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /worker-src 'self'(;|$)/, "pdf.js's worker, from this origin only");
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  const html = await page.text();
  assert.doesNotMatch(html, /<script>(?!<)|<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=/i, "no inline script or handler in the page");
  assert.doesNotMatch(html, /https?:\/\//, "nothing from a CDN");
  for (const asset of ["/ui/app.js", "/ui/app.css", "/ui/pdf.min.mjs", "/ui/pdf.worker.min.mjs"]) {
    const res = await fetch(service.url + asset);
    assert.equal(res.status, 200, asset);
    if (asset.endsWith(".mjs")) assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/, `${asset}: a module script needs a JavaScript type`);
  }
  assert.doesNotMatch(await (await fetch(`${service.url}/ui/app.js`)).text(), /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  assert.equal((await fetch(`${service.url}/ui/../service.ts`)).status, 404);
  const api = await fetch(`${service.url}/api/queue`);
  assert.match(api.headers.get("content-security-policy") ?? "", /default-src 'none'/);
});

test("the SLA sweep counts breaches per flow, frees breached claims, and the depth gauge follows the queue", async (t) => {
  const { service, queue, metrics } = await startTestService(t, { REVIEW_SLA_MS: "60000" });
  const hourAgo = new Date(Date.now() - 3600_000).toISOString();
  const late = [ticketRequest("late one", { requestedAt: hourAgo }), ticketRequest("late two", { requestedAt: hourAgo })];
  const onTime = ticketRequest("on time");
  for (const r of [...late, onTime]) await queue.intake(r);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  await alice.request("POST", `/api/items/${late[0]!.envelopeId}/claim`);

  await service.sweep();
  const exposition = await metrics.registry.metrics();
  assert.match(exposition, /mesh_review_sla_breaches_total\{flow="ticket"\} 2/);
  assert.match(exposition, /mesh_review_queue_depth\{flow="ticket"\} 3/);
  assert.equal((await queue.get(late[0]!.envelopeId))!.claim, null, "alice's breached claim went back to the queue");
  const row = (await alice.request("GET", "/api/queue")).json.items.find((i: { id: string }) => i.id === late[0]!.envelopeId);
  assert.equal(row.breaches, 1);

  await service.sweep();
  assert.match(await metrics.registry.metrics(), /mesh_review_sla_breaches_total\{flow="ticket"\} 2/, "a new window, no new breach");

  await alice.request("POST", `/api/items/${onTime.envelopeId}/claim`);
  await alice.request("POST", `/api/items/${onTime.envelopeId}/decision`, { decision: "approve" });
  await service.sweep();
  const after = await metrics.registry.metrics();
  assert.match(after, /mesh_review_queue_depth\{flow="ticket"\} 2/);
  const oldest = Number(/mesh_review_oldest_pending_age_seconds\{flow="ticket"\} ([\d.]+)/.exec(after)?.[1]);
  assert.ok(oldest >= 3600 && oldest < 3700, `the oldest pending item is an hour old (${oldest} s)`);
  assert.match(after, /mesh_review_decisions_total\{flow="ticket",reviewer="alice",decision="approve"\} 1/);
});

test("each tier's suggestion shows its version: a local model's from its name@version", async (t) => {
  const { service, queue } = await startTestService(t);
  const req = ticketRequest("unsure");
  (req as { suggestions: unknown }).suggestions = [
    { tier: "small", model: "ticket-intent@e0fa46d0fadb", label: "pin_blocked", confidence: 0.08 },
    { tier: "large", model: "stand-in-large", label: "card_arrival", confidence: 0.3 },
  ];
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const view = (await alice.request("GET", `/api/items/${req.envelopeId}`)).json;
  assert.deepEqual(
    view.suggestions.map((s: { source: string; version: string | null }) => [s.source, s.version]),
    [["small · ticket-intent", "e0fa46d0fadb"], ["large · stand-in-large", null]],
  );
  assert.equal(view.prediction.label, "card_arrival", "the most confident suggestion is the one to approve");
});

test("an approver assigns an item to a reviewer who may take it; a reviewer may not assign", async (t) => {
  const { service, queue } = await startTestService(t);
  const routine = ticketRequest("routine");
  const risky = ticketRequest("refund me", { code: "approval_required" });
  await queue.intake(routine);
  await queue.intake(risky);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);

  assert.deepEqual((await bob.request("GET", `/api/items/${risky.envelopeId}/assignees`)).json.reviewers.map((r: { id: string }) => r.id), ["bob", "carol"]);
  assert.equal((await bob.request("POST", `/api/items/${risky.envelopeId}/assign`, { reviewer: "alice" })).status, 403, "alice may not take an approval item");
  assert.equal((await alice.request("POST", `/api/items/${routine.envelopeId}/assign`, { reviewer: "alice" })).status, 403);
  assert.equal((await bob.request("POST", `/api/items/${routine.envelopeId}/assign`, { reviewer: "nobody" })).status, 400);

  await bob.request("POST", `/api/items/${routine.envelopeId}/claim`);
  const assigned = await bob.request("POST", `/api/items/${routine.envelopeId}/assign`, { reviewer: "alice" });
  assert.equal(assigned.status, 200);
  assert.deepEqual([assigned.json.claim.reviewer, assigned.json.claim.assignedBy], ["alice", "bob"]);
  assert.equal((await bob.request("POST", `/api/items/${routine.envelopeId}/decision`, { decision: "approve" })).status, 409, "bob handed it over");
  assert.equal((await alice.request("POST", `/api/items/${routine.envelopeId}/decision`, { decision: "approve" })).status, 200);
});

test("an invoice mismatch offers accept-with-reason, amount / PO / vendor corrections and invoice reject reasons", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const [accept, correct, reject] = [invoiceRequest("INV-1"), invoiceRequest("INV-2"), invoiceRequest("INV-3")];
  for (const r of [accept, correct, reject]) await queue.intake(r);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const view = (await alice.request("GET", `/api/items/${accept.envelopeId}`)).json;
  assert.deepEqual(view.form.fields.map((f: { path: string }) => f.path), ["amount", "poNumber", "vendorId"]);
  assert.equal(view.form.approve.label, "Accept despite mismatch");
  assert.ok(view.form.rejectReasons.some((r: { code: string }) => r.code === "duplicate_invoice"));
  assert.equal(view.details.mismatches[0].code, "amount_out_of_tolerance");

  for (const r of [accept, correct, reject]) await alice.request("POST", `/api/items/${r.envelopeId}/claim`);
  const noReason = await alice.request("POST", `/api/items/${accept.envelopeId}/decision`, { decision: "approve" });
  assert.equal(noReason.status, 400);
  assert.match(noReason.json.error.message, /^comment: .*reason/);
  assert.equal((await alice.request("POST", `/api/items/${accept.envelopeId}/decision`, { decision: "approve", comment: "price rise agreed by phone" })).status, 200);

  const unchanged = await alice.request("POST", `/api/items/${correct.envelopeId}/decision`, { decision: "correct", corrections: { amount: 120, poNumber: "PO-1" } });
  assert.equal(unchanged.status, 400, "a correction that changes nothing is refused");
  const negative = await alice.request("POST", `/api/items/${correct.envelopeId}/decision`, { decision: "correct", corrections: { amount: -5 } });
  assert.match(negative.json.error.message, /^corrections\.amount: must be a number/);
  assert.equal((await alice.request("POST", `/api/items/${correct.envelopeId}/decision`, { decision: "correct", corrections: { amount: 100, poNumber: "PO-1", vendorId: "V-9" } })).status, 200);

  const ticketReason = await alice.request("POST", `/api/items/${reject.envelopeId}/decision`, { decision: "reject", reasonCode: "spam" });
  assert.equal(ticketReason.status, 400);
  assert.match(ticketReason.json.error.message, /^reasonCode: must be one of duplicate_invoice/);
  assert.equal((await alice.request("POST", `/api/items/${reject.envelopeId}/decision`, { decision: "reject", reasonCode: "duplicate_invoice" })).status, 200);

  assert.deepEqual(
    decisions.map((d) => [d.decision, d.comment ?? d.reasonCode ?? null, d.corrections ?? null, d.label ?? null]),
    [
      ["approve", "price rise agreed by phone", null, null],
      ["correct", null, { amount: 100 }, null],
      ["reject", "duplicate_invoice", null, null],
    ],
    "only the changed field travels as a correction; invoices make no labels",
  );
});

test("four-eyes: an item policy holds for two approvers is decided only by the second, distinct approver, carrying the first's signed approval", async (t) => {
  const { service, queue, decisions, approvals } = await startTestService(t);
  const risky = { ...ticketRequest("refund my purchase", { code: "approval_required" }), approvers: 2 };
  await queue.intake(risky);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  const carol = new Client(service.url);
  await carol.signIn(tokens.carol);
  const approve = (c: Client) => c.request("POST", `/api/items/${risky.envelopeId}/decision`, { decision: "approve", confirmed: true });

  await bob.request("POST", `/api/items/${risky.envelopeId}/claim`);
  const first = await approve(bob);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json, { pending: { approvals: 1, needed: 2 } });
  assert.equal(decisions.length, 0, "one approval decides nothing");
  const waiting = (await bob.request("GET", `/api/items/${risky.envelopeId}`)).json;
  assert.deepEqual([waiting.status, waiting.claim, waiting.approvals.map((a: { reviewer: string }) => a.reviewer), waiting.approversNeeded], ["pending", null, ["bob"], 2]);

  await bob.request("POST", `/api/items/${risky.envelopeId}/claim`);
  const again = await approve(bob);
  assert.equal(again.status, 403);
  assert.match(again.json.error.message, /bob already approved/);
  await bob.request("POST", `/api/items/${risky.envelopeId}/release`);

  await carol.request("POST", `/api/items/${risky.envelopeId}/claim`);
  assert.equal((await approve(carol)).status, 200);
  assert.equal(decisions.length, 1);
  assert.equal(decisions[0]!.reviewer.id, "carol");
  assert.deepEqual(decisions[0]!.approvals?.map((a) => a.reviewer.id), ["bob"]);
  assert.deepEqual(decisions[0]!.approvals, approvals.slice(0, 1), "the decision carries bob's approval exactly as it was signed");
  const history = (await carol.request("GET", `/api/items/${risky.envelopeId}`)).json.history.map((h: { by: string; what: string }) => `${h.by} ${h.what}`);
  assert.deepEqual(history, ["bob claimed", "bob approved", "bob claimed", "bob released", "carol claimed", "carol decided"]);
});

test("four-eyes: nobody approves their own correction; a different correction starts the count again", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  // No approvers field: policy asked for one, but a correction of a held item still needs a second person.
  const risky = ticketRequest("card stolen yesterday", { code: "approval_required" });
  await queue.intake(risky);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  const carol = new Client(service.url);
  await carol.signIn(tokens.carol);
  const decide = (c: Client, body: object) => c.request("POST", `/api/items/${risky.envelopeId}/decision`, { confirmed: true, ...body });

  await bob.request("POST", `/api/items/${risky.envelopeId}/claim`);
  assert.deepEqual((await decide(bob, { decision: "correct", corrections: { intent: "lost_or_stolen_card" } })).json, { pending: { approvals: 1, needed: 2 } });
  await bob.request("POST", `/api/items/${risky.envelopeId}/claim`);
  const own = await decide(bob, { decision: "approve" });
  assert.equal(own.status, 403);
  assert.match(own.json.error.message, /bob may not approve their own correction/);
  await bob.request("POST", `/api/items/${risky.envelopeId}/release`);

  await carol.request("POST", `/api/items/${risky.envelopeId}/claim`);
  assert.deepEqual((await decide(carol, { decision: "correct", corrections: { intent: "compromised_card" } })).json, { pending: { approvals: 1, needed: 2 } });
  await bob.request("POST", `/api/items/${risky.envelopeId}/claim`);
  assert.equal((await decide(bob, { decision: "approve" })).status, 200);
  assert.equal(decisions.length, 1);
  assert.deepEqual([decisions[0]!.decision, decisions[0]!.corrections, decisions[0]!.approvals?.map((a) => a.reviewer.id)], ["correct", { intent: "compromised_card" }, ["carol"]]);
  assert.equal(decisions[0]!.label?.correction, "compromised_card");
});

test("four-eyes by policy: a reviewer who corrects an ordinary ticket to a category policy holds for two approvers needs a second person", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const req = ticketRequest("money back please");
  await queue.intake(req);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  await alice.request("POST", `/api/items/${req.envelopeId}/claim`);
  const first = await alice.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "correct", corrections: { intent: "request_refund" } });
  assert.deepEqual(first.json, { pending: { approvals: 1, needed: 2 } });
  assert.equal((await alice.request("GET", `/api/items/${req.envelopeId}`)).json.approversNeeded, 2);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  await bob.request("POST", `/api/items/${req.envelopeId}/claim`);
  assert.equal((await bob.request("POST", `/api/items/${req.envelopeId}/decision`, { decision: "approve" })).status, 200);
  assert.deepEqual([decisions[0]!.decision, decisions[0]!.corrections, decisions[0]!.approvals?.map((a) => a.reviewer.id)], ["correct", { intent: "request_refund" }, ["alice"]]);
});

test("agreement: a second approver who approves what the first approved counts an agreement; one who corrects to other values or rejects counts a disagreement", async (t) => {
  const { service, queue, metrics } = await startTestService(t);
  const held = (text: string) => ({ ...ticketRequest(text, { code: "approval_required" }), approvers: 2 });
  const [agreed, corrected, rejected] = [held("refund one"), held("refund two"), held("refund three")];
  for (const r of [agreed, corrected, rejected]) await queue.intake(r);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  const carol = new Client(service.url);
  await carol.signIn(tokens.carol);
  const decide = async (c: Client, id: string, body: object) => {
    assert.equal((await c.request("POST", `/api/items/${id}/claim`)).status, 200);
    const res = await c.request("POST", `/api/items/${id}/decision`, { confirmed: true, ...body });
    assert.equal(res.status, 200, res.text);
  };
  for (const r of [agreed, corrected, rejected]) await decide(bob, r.envelopeId, { decision: "approve" });
  assert.doesNotMatch(await metrics.registry.metrics(), /mesh_review_(dis)?agreements_total\{/, "a first opinion is no agreement yet");

  await decide(carol, agreed.envelopeId, { decision: "approve" });
  await decide(carol, corrected.envelopeId, { decision: "correct", corrections: { intent: "card_linking" } });
  await decide(carol, rejected.envelopeId, { decision: "reject", reasonCode: "spam" });
  const exposition = await metrics.registry.metrics();
  assert.match(exposition, /mesh_review_agreements_total\{flow="ticket"\} 1/);
  assert.match(exposition, /mesh_review_disagreements_total\{flow="ticket"\} 2/);
});

test("bulk approve: low-risk items with the same suggestion each get their own decision and label; a held or high-risk item, or another suggestion, refuses the batch and decides nothing", async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const same = [ticketRequest("where is my card"), ticketRequest("card not here yet"), ticketRequest("still waiting for my card")];
  const held = ticketRequest("card stolen", { code: "approval_required" });
  const refund = ticketRequest("money back", { label: "request_refund" });
  const other = ticketRequest("link my card", { label: "card_linking" });
  for (const r of [...same, held, refund, other]) await queue.intake(r);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);

  const rows = new Map(((await bob.request("GET", "/api/queue")).json.items as { id: string; bulkApprovable: boolean }[]).map((r) => [r.id, r.bulkApprovable]));
  assert.deepEqual([...same, held, refund, other].map((r) => rows.get(r.envelopeId)), [true, true, true, false, false, true], "policy decides what is low-risk");

  const bulk = (c: Client, ids: string[], suggestion = "card_arrival") => c.request("POST", "/api/bulk/approve", { ids, suggestion });
  for (const [extra, message] of [
    [held, /policy holds it for approval/],
    [refund, /policy holds intent request_refund for more than one approver/],
    [other, /suggests card_linking, not card_arrival/],
  ] as const) {
    const refused = await bulk(bob, [same[0]!.envelopeId, extra.envelopeId]);
    assert.ok(refused.status === 403 || refused.status === 400, refused.text);
    assert.match(refused.json.error.message, message);
  }
  assert.equal(decisions.length, 0, "a refused batch decides nothing");

  const done = await bulk(alice, same.map((r) => r.envelopeId));
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.approved, 3);
  assert.deepEqual(decisions.map((d) => [d.request.envelopeId, d.decision, d.corrections, d.reviewer.id, d.label?.prediction]), same.map((r) => [r.envelopeId, "approve", { intent: "card_arrival" }, "alice", "card_arrival"]));
  const left = ((await alice.request("GET", "/api/queue")).json.items as { id: string }[]).map((r) => r.id);
  assert.deepEqual(left.filter((id) => same.some((r) => r.envelopeId === id)), [], "each approved item left the queue");
  assert.equal((await bulk(alice, [same[0]!.envelopeId])).status, 403, "a decided item is not approved twice");
});
