import assert from "node:assert/strict";
import { test } from "node:test";
import type { Route } from "playwright-core";
import { freePort } from "../../cli/local-nats.js";
import { publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { launchBrowser, screenshot, signIn } from "../helpers/browser.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";
import { waitFor } from "../helpers/wait.js";
import { reviewTokens, tokens } from "../unit/review/harness.js";

const decoder = new TextDecoder();

type Result = { envelopeId: string; result: Record<string, unknown> };
async function results(bus: Bus, flow: string): Promise<Result[]> {
  return (await readStream(bus, streamNames.result, { filterSubject: subjects.result(flow) })).map((m) => JSON.parse(decoder.decode(m.data)) as Result);
}

function invoice(id: string, amount: number) {
  return {
    tenant: "acme",
    region: "eu",
    source: { system: "erp", id },
    payload: {
      invoiceNumber: id,
      poNumber: "PO-7",
      vendorId: "V-3",
      amount,
      currency: "EUR",
      purchaseOrder: { poNumber: "PO-7", vendorId: "V-3", amount: 120, currency: "EUR" },
    },
  };
}

test("in the browser, invoice mismatches are accepted with a reason, corrected and rejected, and a high-risk ticket needs two approvers who each confirm; every decided item ends in exactly one result", { timeout: 240_000 }, async (t) => {
  const port = await freePort();
  const { bus } = await startTriageMesh(t, {
    agents: ["ingest", "invoice", "triage", "review"],
    env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens },
  });
  const amounts = { accept: 150, correct: 160, reject: 170 };
  const ids = Object.fromEntries(Object.keys(amounts).map((k) => [k, envelopeId({ system: "erp", id: `INV-${k}` })])) as Record<keyof typeof amounts, string>;
  for (const [k, amount] of Object.entries(amounts)) await publish(bus, subjects.inbound("invoice"), invoice(`INV-${k}`, amount), { msgId: `raw-inv-${k}` });
  const refundId = envelopeId({ system: "helpdesk", id: "refund" });
  await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: "refund" }, payload: { text: "I want a refund for this purchase" } }, { msgId: "raw-refund" });
  await waitFor("four review requests", async () => (await readStream(bus, streamNames.review, { filterSubject: "mesh.review.*.requested" })).length >= 4, { timeoutMs: 120_000 });

  const context = await launchBrowser(t);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => {
    pageErrors.push(`unexpected native dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`http://127.0.0.1:${port}`);
  /** Narrows the queue to the one item the search finds and waits for its detail. */
  const open = async (search: string, id: string) => {
    await page.locator("#f-q").fill(search);
    await page.locator("#queue li").first().waitFor();
    await waitFor(`only ${search} listed`, async () => (await page.locator("#queue li").count()) === 1 && (await page.locator("#queue li").getAttribute("data-id")) === id);
    await page.locator("#queue li button").click();
    await page.locator("#d-id", { hasText: id }).waitFor();
  };

  await t.test("a reviewer accepts one invoice mismatch with a reason, corrects another's amount and rejects a third", async () => {
    await signIn(page, tokens.alice, "alice");
    await open("amount 150", ids.accept);
    assert.equal(await page.locator("#approve").textContent(), "Accept despite mismatch");
    // The refresh after a refused decision is held back, as on a busy server: the reason typed once the page says
    // "failed" must survive it (it used to arrive after the typing and wipe it).
    const slowQueue = async (route: Route) => {
      await new Promise((r) => setTimeout(r, 1_500));
      await route.continue();
    };
    await page.route("**/api/queue?*", slowQueue);
    await page.locator("#approve").click();
    await page.locator("#status", { hasText: /failed: comment: .*reason/ }).waitFor();
    await page.unroute("**/api/queue?*", slowQueue);
    await page.locator("#comment").fill("price rise agreed with the vendor");
    await page.locator("#approve").click();
    await page.locator("#status", { hasText: `Approved: ${ids.accept}` }).waitFor();

    await open("amount 160", ids.correct);
    await page.locator("#field-amount").fill("120");
    await page.locator("#diff tbody tr", { hasText: "amount" }).waitFor();
    assert.deepEqual(await page.locator("#diff tbody tr td").allTextContents(), ["amount", "160", "120"]);
    await screenshot(page, "review-invoice-correction");
    await page.locator("#correct").click();
    await page.locator("#status", { hasText: `Corrected: ${ids.correct}` }).waitFor();

    await open("amount 170", ids.reject);
    await page.locator("#reject-reason").selectOption("duplicate_invoice");
    await page.locator("#reject").click();
    await page.locator("#status", { hasText: `Rejected: ${ids.reject}` }).waitFor();

    const byId = await waitFor("three invoice results", async () => {
      const all = (await results(bus, "invoice")).filter((r) => Object.values(ids).includes(r.envelopeId));
      return all.length >= 3 && all;
    }, { timeoutMs: 60_000 });
    assert.equal(byId.length, 3, "exactly one result per decided invoice");
    const result = (id: string) => byId.find((r) => r.envelopeId === id)!.result;
    assert.deepEqual([result(ids.accept).accepted, result(ids.accept).matched, result(ids.accept).reason], [true, false, "price rise agreed with the vendor"]);
    assert.deepEqual([result(ids.correct).corrected, result(ids.correct).matched], [{ amount: 120 }, true]);
    assert.deepEqual([result(ids.reject).rejected, result(ids.reject).reasonCode], [true, "duplicate_invoice"]);
    await page.locator("#sign-out").click();
  });

  await t.test("a high-risk refund needs two distinct approvers, and each confirms before their approval is sent", async () => {
    await signIn(page, tokens.bob, "bob");
    await open("refund", refundId);
    await page.locator("#d-reasons li", { hasText: "It needs 2 distinct approvers and has 0." }).waitFor();
    await page.locator("#approve").click();
    await page.locator("#confirm").waitFor({ state: "visible" });
    assert.match((await page.locator("#confirm-text").textContent()) ?? "", /approval 1 of 2\. Another approver must confirm/);
    await screenshot(page, "review-four-eyes-confirm");
    await page.locator("#confirm-ok").click();
    await page.locator("#status", { hasText: "Approval 1 of 2 recorded" }).waitFor();
    assert.equal((await readStream(bus, streamNames.review, { filterSubject: subjects.reviewDecided("ticket") })).length, 0, "one approval decides nothing");
    await page.locator("#approve").click();
    await page.locator("#confirm-ok").click();
    await page.locator("#status", { hasText: /failed: bob already approved/ }).waitFor();
    await page.locator("#sign-out").click();

    await signIn(page, tokens.carol, "carol");
    await open("refund", refundId);
    await page.locator("#approvals li", { hasText: "bob approved" }).waitFor();
    await page.keyboard.press("a");
    await page.locator("#confirm").waitFor({ state: "visible" });
    assert.match((await page.locator("#confirm-text").textContent()) ?? "", /approval 2 of 2\. The task continues/);
    await page.keyboard.press("Enter");
    await page.locator("#status", { hasText: `Approved: ${refundId}` }).waitFor();

    const result = await waitFor("the refund completed", async () => (await results(bus, "ticket")).find((r) => r.envelopeId === refundId), { timeoutMs: 60_000 });
    assert.deepEqual([result.result.intent, result.result.decision, (result.result.reviewer as { id: string }).id], ["request_refund", "approve", "carol"]);
    const decided = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewDecided("ticket") })).map((m) => JSON.parse(decoder.decode(m.data)));
    assert.deepEqual(decided.map((d) => [d.reviewer.id, d.approvals.map((a: { reviewer: { id: string } }) => a.reviewer.id)]), [["carol", ["bob"]]]);
    await screenshot(page, "review-four-eyes-done");
  });

  assert.deepEqual(pageErrors, []);
});
