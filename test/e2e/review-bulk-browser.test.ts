import assert from "node:assert/strict";
import { test } from "node:test";
import { axeViolations, launchBrowser, screenshot, signIn } from "../helpers/browser.js";
import { waitFor } from "../helpers/wait.js";
import { ticketRequest } from "../unit/review/fixtures.js";
import { startTestService, tokens } from "../unit/review/harness.js";

test("in the browser, an approver bulk-approves low-risk tickets with one suggestion (mixed suggestions are refused on the page), each decided on its own; high-risk tickets offer no bulk choice; axe finds no violations", { timeout: 120_000 }, async (t) => {
  const { service, queue, decisions } = await startTestService(t);
  const arrivals = [ticketRequest("where is my new card"), ticketRequest("card still not delivered"), ticketRequest("waiting on my card")];
  const linking = ticketRequest("how do I link my card", { label: "card_linking" });
  const held = { ...ticketRequest("refund the duplicate charge", { code: "approval_required", label: "request_refund" }), approvers: 2 };
  const refund = ticketRequest("I want my money back", { label: "request_refund" });
  for (const r of [...arrivals, linking, held, refund]) await queue.intake(r);

  const context = await launchBrowser(t);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(service.url);
  await signIn(page, tokens.bob, "bob");
  await page.locator("#queue li").nth(5).waitFor();

  const row = (id: string) => page.locator(`#queue li[data-id="${id}"]`);
  for (const r of [held, refund]) assert.equal(await row(r.envelopeId).locator(".pick").count(), 0, `no bulk choice for high-risk ${r.envelopeId}`);
  assert.equal(await page.locator("#bulk").isVisible(), false, "no bulk bar before a pick");

  for (const r of [arrivals[0]!, arrivals[1]!, linking]) await row(r.envelopeId).locator(".pick").check();
  await page.locator("#bulk-text", { hasText: "different values (card_arrival, card_linking)" }).waitFor();
  assert.equal(await page.locator("#bulk-approve").isDisabled(), true, "mixed suggestions cannot be approved together");
  await row(linking.envelopeId).locator(".pick").uncheck();
  // Keyboard-first: choose the third one and press x.
  await row(arrivals[2]!.envelopeId).locator("button.row").click();
  await page.locator("#d-id", { hasText: arrivals[2]!.envelopeId }).waitFor();
  await page.keyboard.press("x");
  await page.locator("#bulk-approve", { hasText: "Approve 3 as card_arrival" }).waitFor();
  assert.equal(await page.locator("#bulk-approve").isEnabled(), true);
  assert.deepEqual(await axeViolations(page), [], "queue with the bulk bar");
  await screenshot(page, "review-bulk-approve");

  await page.locator("#bulk-approve").click();
  await page.locator("#status", { hasText: "Approved 3 of 3 as card_arrival" }).waitFor();
  assert.deepEqual(
    decisions.map((d) => [d.request.envelopeId, d.decision, d.corrections?.intent, d.reviewer.id]).sort(),
    arrivals.map((r) => [r.envelopeId, "approve", "card_arrival", "bob"]).sort(),
    "one decision per item",
  );
  await waitFor("the approved tickets left the queue", async () => (await page.locator("#queue li").count()) === 3);
  assert.equal(await page.locator("#bulk").isVisible(), false, "the selection is cleared");
  assert.deepEqual(pageErrors, []);
});
