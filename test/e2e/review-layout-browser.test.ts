import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { axeViolations, inViewport, launchBrowser, screenshot, signIn } from "../helpers/browser.js";
import { waitFor } from "../helpers/wait.js";
import { invoiceRequest, ticketRequest } from "../unit/review/fixtures.js";
import { startTestService, tokens } from "../unit/review/harness.js";

const hour = 3600_000;

/** A queue longer than one screen: tickets (one overdue, one held for two approvers) and invoice mismatches. */
async function crowdedQueue(t: TestContext) {
  const svc = await startTestService(t, { REVIEW_SLA_MS: String(4 * hour) });
  const overdue = ticketRequest("my card has not arrived after two weeks", { requestedAt: new Date(Date.now() - 5 * hour).toISOString() });
  const held = {
    ...ticketRequest("please refund the duplicate charge", { code: "approval_required" }),
    reason:
      'high-risk category needs two approvers: triage may not task.complete on "mesh.result.ticket": rule "high-risk-needs-approval" forbids it — a high-risk category cannot complete without two distinct approvers (category "request_refund" in [@high_risk]; unless [approvals is 0 (want at least 2)])',
    approvers: 2,
  };
  // Distinct request times, invoices after tickets: the last item of the first page is always an invoice (items of
  // one millisecond are ordered by id, which put a ticket there now and then).
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const tickets = Array.from({ length: 14 }, (_, i) => ticketRequest(`ticket number ${i} about a card payment that looks wrong`, { requestedAt: at(120 - i) }));
  const invoices = Array.from({ length: 10 }, (_, i) => ({ ...invoiceRequest(`INV-${i}`, { amount: 130 + i, poAmount: 120, poNumber: "PO-7", vendorId: "V-3" }), requestedAt: at(60 - i) }));
  for (const r of [overdue, held, ...tickets, ...invoices]) await svc.queue.intake(r);
  return { ...svc, overdue, held };
}

for (const [name, viewport] of [
  ["desktop", { width: 1440, height: 900 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`at ${viewport.width}x${viewport.height} (${name}) hidden parts stay hidden, the detail is in view after choosing the last item and after deciding it, and axe finds no violations`, { timeout: 120_000 }, async (t) => {
    const { service, overdue } = await crowdedQueue(t);
    const context = await launchBrowser(t, viewport);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(service.url);

    await page.locator("#token").waitFor();
    assert.equal(await page.locator("#workspace").isVisible(), false, "the queue is hidden on the sign-in page");
    assert.equal(await page.locator("#queue-title").isVisible(), false);
    assert.deepEqual(await axeViolations(page), [], "sign-in page");
    await screenshot(page, `review-${name}-sign-in`);

    await signIn(page, tokens.carol, "carol");
    assert.equal(await page.locator("#sign-in").isVisible(), false, "the sign-in form is hidden once signed in");
    await page.locator("#queue li").nth(24).waitFor();
    assert.equal(await page.locator("#queue li").count(), 25, "one page of 25");
    assert.match((await page.locator("#page-info").textContent()) ?? "", /page 1 of 2/);

    const last = page.locator("#queue li").last();
    const lastId = await last.getAttribute("data-id");
    await last.locator("button").click();
    await page.locator("#d-id", { hasText: lastId! }).waitFor();
    assert.ok(await inViewport(page, "#d-id"), "the detail pane is in view after choosing the last item");
    assert.equal(await page.locator("#correct-form").isVisible(), true, "an invoice has fields to correct");
    assert.doesNotMatch((await page.locator("#d-requested").textContent()) ?? "", /\dT\d\d:\d\d:\d\d(\.\d+)?Z/, "times are local, not raw ISO");
    assert.deepEqual(await axeViolations(page), [], "queue with the last item chosen");
    await screenshot(page, `review-${name}-last-item`);

    // Deciding the last item moves to the one before it; the pane stays in view.
    await page.locator("#reject-reason").selectOption("duplicate_invoice");
    await page.locator("#reject").click();
    await page.locator("#status", { hasText: "Rejected" }).waitFor();
    assert.notEqual(await page.locator("#d-id").textContent(), lastId);
    assert.ok(await inViewport(page, "#d-id"), "the detail pane is in view after the decision");

    // The overdue ticket says so in red; its reason reads as a sentence.
    await page.locator("#f-sla").selectOption("overdue");
    await page.locator("#d-id", { hasText: overdue.envelopeId }).waitFor();
    assert.equal(await page.locator("#queue li").count(), 1);
    assert.match((await page.locator("#d-due .overdue").textContent()) ?? "", /^overdue/);
    assert.equal(await page.locator("#d-reasons li").first().textContent(), "No model was confident about the intent.");
    await page.locator("#f-sla").selectOption("");

    // The held refund: its policy reasons as sentences, and approving asks for a confirmation first.
    // A search matches indexed fields (here the reason), never the sealed ticket text.
    await page.locator("#f-q").fill("two approvers");
    await page.locator("#queue li").filter({ hasText: "duplicate charge" }).waitFor();
    await waitFor("only the refund listed", async () => (await page.locator("#queue li").count()) === 1);
    await page.locator("#queue li button").first().click();
    await page.locator("#d-reasons li", { hasText: "It needs 2 distinct approvers and has 0." }).waitFor();
    await page.locator("#approve").click();
    await page.locator("#confirm").waitFor({ state: "visible" });
    assert.match((await page.locator("#confirm-text").textContent()) ?? "", /approval 1 of 2/);
    assert.deepEqual(await axeViolations(page), [], "the confirmation dialog");
    await screenshot(page, `review-${name}-confirm`);
    await page.keyboard.press("Escape");
    await page.locator("#confirm").waitFor({ state: "hidden" });
    await page.locator("#status", { hasText: "Approval not sent" }).waitFor();
    assert.deepEqual(pageErrors, []);
  });
}
