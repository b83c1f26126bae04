import assert from "node:assert/strict";
import { test } from "node:test";
import { launchBrowser } from "../helpers/browser.js";
import { ticketRequest } from "../unit/review/fixtures.js";
import { Client, startTestService, tokens } from "../unit/review/harness.js";

test("in the browser, a refresh that finds the item on screen unchanged leaves its pane as it is (same form fields, the value chosen); a changed item is drawn again", { timeout: 120_000 }, async (t) => {
  const { service, queue } = await startTestService(t);
  const first = ticketRequest("my card has still not arrived", { requestedAt: new Date(Date.now() - 60_000).toISOString() });
  await queue.intake(first);
  await queue.intake(ticketRequest("how do I top up"));

  const context = await launchBrowser(t);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(service.url);
  await page.locator("#token").fill(tokens.alice);
  await page.locator("#sign-in-form button[type=submit]").click();
  await page.locator("#d-id", { hasText: first.envelopeId }).waitFor();

  await page.locator("#field-intent").selectOption("card_linking");
  // A mark on the field's node: a pane drawn again has a new node without it.
  const marked = () => page.locator("#field-intent").evaluate((n) => (n as unknown as { meshMark?: boolean }).meshMark === true);
  await page.locator("#field-intent").evaluate((n) => ((n as unknown as { meshMark?: boolean }).meshMark = true));
  const refreshed = () => page.waitForResponse((r) => r.url().includes(`/api/items/${first.envelopeId}`) && r.request().method() === "GET");

  // A filter that keeps the item first refreshes the queue and the item; nothing about the item changed.
  let answered = refreshed();
  await page.locator("#f-sla").selectOption("on_time");
  await answered;
  assert.equal(await marked(), true, "the unchanged item's pane was left alone");
  assert.equal(await page.locator("#field-intent").inputValue(), "card_linking");
  assert.equal(await page.locator("#diff-box").isVisible(), true, "the pending change still shows its diff");

  // Another reviewer claims it: the next refresh draws the pane again, showing the claim.
  const bob = new Client(service.url);
  await bob.signIn(tokens.bob);
  assert.equal((await bob.request("POST", `/api/items/${first.envelopeId}/claim`)).status, 200);
  answered = refreshed();
  await page.locator("#f-sla").selectOption("");
  await answered;
  await page.locator("#d-status", { hasText: "claimed by bob" }).waitFor();
  assert.equal(await marked(), false, "a changed item is drawn again");
  assert.deepEqual(pageErrors, []);
});
