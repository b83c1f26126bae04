import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { defaultPolicyPath } from "../../policy/index.js";
import { budgetBucket, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { rawBus } from "../../shared/bus/raw-bus.js";
import { ensureBuckets } from "../../shared/bus/topology.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel, priceOf, type ReceivedRequest } from "../../shared/models/index.js";
import { endpoint } from "../unit/models/fixtures.js";
import { outcomes } from "../helpers/outcomes.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";
import { waitFor } from "../helpers/wait.js";

const decoder = new TextDecoder();
// The fixture endpoint bills $0.50/$1.50 per 1k tokens: a classification costs about $0.37 and reserves about $1.90.
const budgetUsd = 6;

interface AuditRecord {
  kind: string;
  action: string;
  effect: string;
  outcome: string;
  reasons: string[];
  instance: string;
  taskId?: string;
}

test("3 triage replicas on one broker never spend past the flow's budget, refusals are audited naming it, and with the counters unreachable calls park until they return", { timeout: 240_000 }, async (t) => {
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const tight = policy.replace(/(key: "flow:\{flow\}", limitUsd: )50,/, `$1${budgetUsd},`);
  assert.notEqual(tight, policy, "the flow budget of the shipped policy was found");
  const env = { BACKOFF_BASE_MS: "300", BACKOFF_MAX_MS: "800", CONCURRENCY: "4" };
  const { standIn, nats, mesh, bus } = await startTriageMesh(t, { agents: ["ingest"] });
  const policyFile = join(nats.dir, "tight-budget.yaml");
  writeFileSync(policyFile, tight);
  const ep = endpoint(standIn);
  const triageEnv = { ...env, POLICY_FILE: policyFile, MODEL_ENDPOINTS: JSON.stringify([ep]) };
  for (let i = 0; i < 3; i++) await mesh.start("triage", triageEnv);

  // Texts the small model cannot place, so each goes to the LLM; each distinct, so no cache answers for another.
  const ticket = (name: string, i: number) => ({
    tenant: "acme",
    region: "eu",
    source: { system: "helpdesk", id: `${name}-${i}` },
    payload: { text: `ticket ${name}${i} zqx vvv ${pinLabel("card_arrival", 0.95)} plorp` },
  });
  const audit = async () =>
    (await readStream(bus, streamNames.audit)).map((m) => JSON.parse(decoder.decode(m.data)) as AuditRecord).filter((r) => r.kind === "decision" && r.action === "model.invoke");
  const asked = (name: string) => standIn.requests().filter((r) => JSON.stringify(r.body).includes(`ticket ${name}`));

  // The counters' bucket gone: every replica finds its store unreachable.
  await rawBus(bus).jsm.streams.delete(`KV_${budgetBucket}`);
  const parked = [0, 1, 2].map((i) => ticket("outage", i));
  for (const e of parked) await publish(bus, subjects.inbound("ticket"), e, { msgId: `raw-${e.source.id}` });
  const parkedIds = new Set(parked.map((e) => envelopeId(e.source)));
  await waitFor(
    "every outage ticket refused as unmetered at least once",
    async () => new Set((await audit()).filter((r) => r.reasons[0] === "budget-unmetered" && parkedIds.has(r.taskId!)).map((r) => r.taskId)).size === parked.length,
    { timeoutMs: 60_000 },
  );
  assert.equal(asked("outage").length, 0, "no call ran unmetered");
  assert.equal((await outcomes(bus, "ticket")).total, 0, "parked, not failed or escalated");
  assert.equal((await readStream(bus, streamNames.dlq)).length, 0);

  // The store is back: the parked tickets are redelivered and complete.
  await ensureBuckets(rawBus(bus).js);
  await waitFor("the parked tickets completed", async () => (await outcomes(bus, "ticket")).completed === parked.length, { timeoutMs: 60_000 });

  const flood = Array.from({ length: 30 }, (_, i) => ticket("flood", i));
  for (const e of flood) await publish(bus, subjects.inbound("ticket"), e, { msgId: `raw-${e.source.id}` });
  const all = parked.length + flood.length;
  await waitFor("every ticket completed or went to a human", async () => (await outcomes(bus, "ticket")).total >= all, { timeoutMs: 180_000 });

  // What the endpoint billed, summed over every request it answered from all three replicas.
  const billed = standIn
    .requests()
    .filter((r): r is ReceivedRequest & { usage: NonNullable<ReceivedRequest["usage"]> } => r.usage !== undefined)
    .reduce((usd, r) => usd + priceOf(ep, { inputTokens: r.usage.promptTokens, outputTokens: r.usage.completionTokens }), 0);
  const records = await audit();
  const exhausted = records.filter((r) => r.reasons[0] === "budget-exhausted");
  const waited = records.filter((r) => r.reasons[0] === "budget-busy").length;
  const spenders = new Set(records.filter((r) => r.effect === "allow" && r.outcome === "done").map((r) => r.instance));
  t.diagnostic(`billed $${billed.toFixed(4)} of $${budgetUsd}; ${standIn.requestCount()} requests; ${exhausted.length} refusals; ${waited} waits for calls in flight; replicas that spent: ${spenders.size}`);
  assert.ok(billed <= budgetUsd, `billed $${billed} > budget $${budgetUsd}`);
  // Holds are worst cases (about 5x a classification here); a call that finds the budget held by calls in flight
  // waits for them (budget-busy), so the budget is refused only once what was spent leaves no room for a worst case.
  assert.ok(billed > budgetUsd / 2, `the budget was used, not just refused ($${billed})`);
  assert.ok(exhausted.length > 0, "calls past the budget were refused");
  assert.ok(exhausted.every((r) => r.outcome === "refused"));
  assert.ok(spenders.size >= 2, "more than one replica spent from the one budget");
  const escalated = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("ticket") })).map((m) => decoder.decode(m.data));
  assert.ok(escalated.length > 0 && escalated.every((body) => body.includes('budget \\"flow:ticket\\"')), "tickets refused a model call go to a human, the reason naming the budget");
  assert.equal((await readStream(bus, streamNames.dlq)).length, 0);
});
