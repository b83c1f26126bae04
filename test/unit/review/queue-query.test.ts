import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, startTestService, tokens } from "./harness.js";
import { ticketRequest } from "./fixtures.js";

test("the queue API searches the indexed fields, filters by reason, SLA state and assignee, and pages; a bad parameter is named", async (t) => {
  const { service, queue, revealed } = await startTestService(t, { REVIEW_SLA_MS: "3600000" });
  const hour = 3600_000;
  const overdue = ticketRequest("overdue parcel card", { requestedAt: new Date(Date.now() - 2 * hour).toISOString(), label: "lost_or_stolen_card" });
  const others = Array.from({ length: 6 }, (_, i) => ticketRequest(`routine ticket ${i}`));
  const risky = ticketRequest("refund please", { code: "approval_required" });
  for (const r of [overdue, ...others, risky]) await queue.intake(r);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  const list = async (qs: string) => (await alice.request("GET", `/api/queue?${qs}`)).json;

  await alice.request("POST", `/api/items/${others[0]!.envelopeId}/claim`);
  const opened = revealed.count;
  assert.deepEqual((await list("q=STOLEN")).items.map((i: { id: string }) => i.id), [overdue.envelopeId], "search ignores case");
  assert.equal(revealed.count - opened, 1, "a search opens only the page it shows");
  assert.equal((await list("q=parcel")).total, 0, "the task's text is personal data: sealed, never indexed");
  assert.deepEqual((await list(`q=${risky.envelopeId.slice(4, 16)}`)).items.map((i: { id: string }) => i.id), [risky.envelopeId], "an id is found");
  assert.deepEqual((await list("sla=overdue")).items.map((i: { id: string; sla: string }) => [i.id, i.sla]), [[overdue.envelopeId, "overdue"]]);
  assert.deepEqual((await list("reason=approval_required")).items.map((i: { id: string }) => i.id), [risky.envelopeId]);
  assert.deepEqual((await list("assignee=me")).items.map((i: { id: string }) => i.id), [others[0]!.envelopeId]);
  assert.equal((await list("assignee=unassigned")).total, 7);

  const before = revealed.count;
  const first = await list("pageSize=3");
  assert.equal(revealed.count - before, 3, "a page without a search opens only the items it shows");
  assert.deepEqual([first.total, first.pages, first.page, first.items.length], [8, 3, 1, 3]);
  assert.equal(first.items[0].id, risky.envelopeId, "held items first");
  const last = await list("pageSize=3&page=3");
  assert.equal(last.items.length, 2);
  assert.deepEqual(first.facets.reasons, ["approval_required", "low_confidence"]);

  const bad = await alice.request("GET", "/api/queue?pageSize=1000");
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /^query: pageSize/);
});
