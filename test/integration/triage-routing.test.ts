import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { loadBanking77 } from "../../shared/datasets/index.js";
import { loadShippedClassifiers, pinLabel } from "../../shared/models/index.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();

/** The routing under test, not this model's skill: texts are picked by asking the shipped small model. */
const smallModel = loadShippedClassifiers()["ticket-intent"]!;
const settles = (text: string) => smallModel.predict(text).confidence >= smallModel.threshold!.value;

function settledAs(intent: string): string {
  const text = loadBanking77().rows.find((r) => r.category === intent && smallModel.predict(r.text).label === intent && settles(r.text))?.text;
  if (!text) throw new Error(`the shipped small model settles no ${intent} row of the data set`);
  return text;
}

/** A ticket the small model leaves to the LLM: the first filler that keeps it under the threshold. */
function leftToLlm(body: string): string {
  for (let i = 0; i < 1000; i++) {
    const text = `ticket zqx ${i} ${body}`;
    if (!settles(text)) return text;
  }
  throw new Error(`no filler leaves the shipped small model unsure of "${body}"`);
}
const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

test("triage: confident tickets complete with a draft, high-risk ones wait for approval, unsure ones go to a human, PII never leaves", { timeout: 180_000 }, async (t) => {
  const { standIn, mesh, bus } = await startTriageMesh(t);

  const tickets = {
    routine: settledAs("exchange_rate"),
    highRisk: settledAs("request_refund"),
    llmSure: leftToLlm(`vvv ${pinLabel("card_arrival", 0.95)} plorp`),
    llmUnsure: leftToLlm(`www ${pinLabel("card_arrival", 0.3)} blorp`),
    withPii: leftToLlm(`yyy ${pinLabel("exchange_rate", 0.95)} write to jane.doe@example.com please`),
  };
  const ids = Object.fromEntries(Object.keys(tickets).map((k) => [k, envelopeId({ system: "helpdesk", id: k })]));
  await Promise.all(
    Object.entries(tickets).map(([k, text]) =>
      publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: k }, payload: { text } }, { msgId: `raw-${k}` }),
    ),
  );
  await waitFor("five outcomes", async () => (await outcomes(bus, "ticket")).total >= 5, { timeoutMs: 120_000 });

  type Result = { envelopeId: string; result: { intent: string; tier: string; suggestedReply: string | null } };
  type Review = { envelopeId: string; code: string; reason: string; suggestions: unknown };
  const results = new Map(
    (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") })).map((m) => {
      const r = JSON.parse(decoder.decode(m.data)) as Result;
      return [r.envelopeId, r.result] as const;
    }),
  );
  const reviews = new Map(
    (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("ticket") })).map((m) => {
      const r = JSON.parse(decoder.decode(m.data)) as Review;
      return [r.envelopeId, r] as const;
    }),
  );

  const routine = results.get(ids.routine!);
  assert.equal(routine?.intent, "exchange_rate");
  assert.equal(routine?.tier, "small");
  assert.ok(routine?.suggestedReply, "a routine ticket carries a drafted reply");

  const approval = reviews.get(ids.highRisk!);
  assert.equal(approval?.code, "approval_required");
  assert.equal((approval?.suggestions as { intent: string }).intent, "request_refund");
  assert.ok((approval?.suggestions as { suggestedReply: string | null }).suggestedReply, "the reviewer sees the draft");
  assert.equal(results.has(ids.highRisk!), false, "a high-risk ticket does not complete on its own");

  assert.equal(results.get(ids.llmSure!)?.tier, "large");
  assert.equal(results.get(ids.llmSure!)?.intent, "card_arrival");

  const unsure = reviews.get(ids.llmUnsure!);
  assert.equal(unsure?.code, "low_confidence");
  assert.deepEqual((unsure?.suggestions as { tier: string }[]).map((s) => s.tier), ["small", "large"]);

  assert.equal(results.get(ids.withPii!)?.intent, "exchange_rate");
  const leftTheMesh = JSON.stringify(standIn.requests().map((r) => r.body));
  assert.match(leftTheMesh, /write to/, "the PII ticket did reach the LLM");
  assert.doesNotMatch(leftTheMesh, /jane\.doe@example\.com/, "but its email address was redacted first");

  // What the LLM calls cost is in the agent's /metrics and in `mesh cost`.
  const metricsUrl = `http://127.0.0.1:${mesh.get("triage").httpPort}/metrics`;
  const { stdout } = await run(process.execPath, [cli, "cost", "--metrics", metricsUrl, "--json"]);
  const cost = (JSON.parse(stdout) as Record<string, { tasks: number; modelUsd: number; modelUsdPerTask: number; reviews: number }>).ticket;
  assert.ok(cost && cost.modelUsd > 0, stdout);
  assert.equal(cost.tasks, 5);
  assert.equal(cost.reviews, 2);
  assert.equal(cost.modelUsdPerTask, cost.modelUsd / 5);
});
