import assert from "node:assert/strict";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { finished } from "node:stream/promises";
import { join } from "node:path";
import { test } from "node:test";
import { launchBrowser, signIn } from "../helpers/browser.js";
import { exportLabels } from "../../cli/review/index.js";
import { freePort } from "../../cli/local-nats.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel } from "../../shared/models/index.js";
import { waitFor } from "../helpers/wait.js";
import { reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();
const resultsDir = join(import.meta.dirname, "../../test-results");
const xss = `<img src=x onerror=alert(1)><script>alert("xss")</script>"><svg onload=alert(2)>`;

test("a reviewer signs in, corrects a ticket's intent and approves another by keyboard; both complete downstream, the label exports, task text stays inert", { timeout: 240_000 }, async (t) => {
  const port = await freePort();
  const { bus } = await startTriageMesh(t, {
    agents: ["ingest", "triage", "review"],
    env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens },
  });

  // Both tickets leave every model unsure, so they go to a human.
  const tickets = {
    unsure: `ticket qqq www ${pinLabel("card_arrival", 0.3)} blorp`,
    hostile: `${xss} ${pinLabel("card_arrival", 0.3)}`,
  };
  const ids = { unsure: envelopeId({ system: "helpdesk", id: "unsure" }), hostile: envelopeId({ system: "helpdesk", id: "hostile" }) };
  for (const [k, text] of Object.entries(tickets))
    await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: k }, payload: { text } }, { msgId: `raw-${k}` });
  await waitFor("two review requests", async () => (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("ticket") })).length >= 2, { timeoutMs: 120_000 });

  const context = await launchBrowser(t);
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  const base = `http://127.0.0.1:${port}`;
  await page.goto(base);
  await signIn(page, tokens.alice, "alice");

  // The queue shows both; open the unsure one, correct the intent, approve.
  await waitFor("both items in the queue", async () => (await page.locator("#queue li").count()) === 2 || (await page.reload(), false), { timeoutMs: 30_000 });
  await page.locator("#queue li", { hasText: "qqq www" }).click();
  await page.locator("#d-id", { hasText: ids.unsure }).waitFor();
  assert.match(await page.locator("#d-input").textContent() ?? "", /ticket qqq www/);
  assert.equal(await page.locator("#d-code").textContent(), "low_confidence");
  assert.ok((await page.locator("#d-suggestions tbody tr").count()) >= 1, "each model's suggestion is shown");
  await page.locator("#field-intent").selectOption("card_linking");
  await page.locator("#correct").click();
  await page.locator("#status", { hasText: "Corrected" }).waitFor();
  await page.locator("#queue li").first().waitFor();
  assert.equal(await page.locator("#queue li").count(), 1);

  // The hostile ticket is shown as text: nothing it carries becomes an element or runs.
  await page.locator("#d-id", { hasText: ids.hostile }).waitFor();
  const shown = (await page.locator("#d-input").textContent()) ?? "";
  assert.ok(shown.includes(xss), `the payload shows literally: ${shown}`);
  assert.ok(((await page.locator("#queue li .preview").first().textContent()) ?? "").includes("<script>alert(\"xss\")</script>"));
  assert.equal(await page.locator("#detail img, #detail svg, #detail script, #queue img, #queue svg").count(), 0);
  mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: join(resultsDir, "review-browser.png"), fullPage: true });

  // Keyboard: ? shows help, a approves the suggestion.
  await page.keyboard.press("?");
  assert.equal(await page.locator("#help").isVisible(), true);
  await page.keyboard.press("?");
  assert.equal(await page.locator("#help").isVisible(), false);
  await page.keyboard.press("a");
  await page.locator("#queue-empty").waitFor({ state: "visible" });

  assert.deepEqual(dialogs, [], "no dialog fired");
  assert.deepEqual(pageErrors, []);

  // Downstream: the triage agent resumed both tasks and completed them.
  type Result = { envelopeId: string; result: { intent: string; tier: string; decision: string; reviewer: { id: string } } };
  const results = await waitFor("both tasks completed", async () => {
    const all = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).map((m) => JSON.parse(decoder.decode(m.data)) as Result);
    const byId = new Map(all.map((r) => [r.envelopeId, r.result]));
    return byId.has(ids.unsure) && byId.has(ids.hostile) && byId;
  }, { timeoutMs: 60_000 });
  assert.equal(results.get(ids.unsure)?.intent, "card_linking");
  assert.equal(results.get(ids.unsure)?.decision, "correct");
  assert.equal(results.get(ids.unsure)?.reviewer.id, "alice");
  assert.equal(results.get(ids.hostile)?.decision, "approve");
  assert.equal(results.get(ids.hostile)?.intent, "card_arrival", "the task resumed with the suggestion the reviewer approved");

  // The label shows up in the export.
  const labels = (await readStream(bus, streamNames.label, { filterSubject: subjects.label("ticket") })).map((m) => JSON.parse(decoder.decode(m.data)));
  const file = join(resultsDir, "review-labels.jsonl");
  const out = createWriteStream(file);
  assert.equal(await exportLabels(labels, out), 2);
  out.end();
  await finished(out);
  const exported = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const corrected = exported.find((l) => l.envelopeId === ids.unsure);
  assert.equal(corrected?.correction, "card_linking");
  assert.equal(corrected?.reviewer.id, "alice");
  assert.match(corrected?.text, /ticket qqq www/);
  assert.ok(corrected?.inputDigest && corrected?.modelVersion !== undefined && corrected?.leadTimeMs >= 0);
  assert.equal(exported.find((l) => l.envelopeId === ids.hostile)?.correction, null, "an approval labels the prediction as right");
});
