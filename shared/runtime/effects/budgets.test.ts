import assert from "node:assert/strict";
import { test } from "node:test";
import { openBudgetStore, budgetBucket } from "../../bus/index.js";
import { PolicyDeniedError, TransientError } from "../../errors/index.js";
import { createLogger } from "../../telemetry/index.js";
import { countingEffect, policyOf, recordingAudit } from "../../../test/helpers/effect-fixtures.js";
import { startNats } from "../../../test/helpers/nats.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { audit } from "./audit.js";
import { budgets } from "./budgets.js";
import { pipeline } from "./pipeline.js";
import { policyDecision } from "./policy-decision.js";

const log = createLogger("test", { level: "silent" });
const hour = 3_600_000;
const budgeted = policyOf([
  {
    id: "triage-models",
    effect: "permit",
    actions: ["model.invoke"],
    principals: ["triage"],
    obligations: [{ kind: "budget", key: "flow:{flow}", limitUsd: 1, limitTokens: 10_000, windowMs: hour }],
  },
]);
const modelCall = (estimate: { usd: number; tokens: number }, actual: { usd: number; tokens: number }) =>
  countingEffect({ action: "model.invoke", resource: { endpoint: "stand-in-eu", model: "m" }, spend: { estimate, actual: () => actual } });

test("a call is reserved at its worst case and settled to what it cost", async (t) => {
  const store = await openBudgetStore(await (await startNats(t)).connect());
  const perform = pipeline(policyDecision(budgeted), budgets(store, log));
  await perform(modelCall({ usd: 0.4, tokens: 3000 }, { usd: 0.1, tokens: 700 }));
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0.1, tokens: 700, held: { usd: 0, tokens: 0 } });
});

test("a call that would fit once the calls in flight settle parks (transient) instead of being refused", async (t) => {
  const store = await openBudgetStore(await (await startNats(t)).connect());
  const perform = pipeline(policyDecision(budgeted), budgets(store, log));
  let finish!: () => void;
  const inFlight = { ...modelCall({ usd: 0.7, tokens: 10 }, { usd: 0.1, tokens: 10 }), run: () => new Promise<string>((r) => (finish = () => r("done"))) };
  const first = perform(inFlight);
  await waitFor("the first call holds its worst case", async () => (await store.spent("flow:ticket", hour)).held.usd === 0.7);
  const waiting = modelCall({ usd: 0.4, tokens: 10 }, { usd: 0.1, tokens: 10 });
  await assert.rejects(perform(waiting), (err: unknown) => err instanceof TransientError && err.code === "E_BUDGET_BUSY" && /held by calls in flight/.test(err.message));
  finish();
  await first;
  await perform(waiting);
  assert.equal(waiting.runs, 1);
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0.2, tokens: 20, held: { usd: 0, tokens: 0 } });
});

test("a call whose worst case would pass the budget is refused, audited with the budget's name, and does not run", async (t) => {
  const store = await openBudgetStore(await (await startNats(t)).connect());
  const records = recordingAudit();
  const perform = pipeline(audit(records), policyDecision(budgeted), budgets(store, log));
  await perform(modelCall({ usd: 0.7, tokens: 100 }, { usd: 0.7, tokens: 100 }));
  const second = modelCall({ usd: 0.4, tokens: 100 }, { usd: 0.4, tokens: 100 });
  await assert.rejects(perform(second), (err: unknown) => err instanceof PolicyDeniedError && /budget "flow:ticket" \(\$1\.0000 and 10000 tokens per 3600 s, across all replicas\) cannot take this call/.test(err.message));
  assert.equal(second.runs, 0);
  const refused = records.records.at(-1)!;
  assert.equal(refused.outcome, "refused");
  assert.deepEqual(refused.reasons, ["budget-exhausted", "triage-models"]);
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0.7, tokens: 100, held: { usd: 0, tokens: 0 } });
});

test("with the counter store unreachable the call parks (transient, naming the budget) instead of running unmetered", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const store = await openBudgetStore(bus);
  await bus.jsm.streams.delete(`KV_${budgetBucket}`);
  const records = recordingAudit();
  const call = modelCall({ usd: 0.1, tokens: 10 }, { usd: 0.1, tokens: 10 });
  await assert.rejects(pipeline(audit(records), policyDecision(budgeted), budgets(store, log))(call), (err: unknown) => err instanceof TransientError && err.code === "E_BUDGET_UNAVAILABLE" && /budget "flow:ticket" cannot be metered/.test(err.message));
  assert.equal(call.runs, 0);
  assert.deepEqual(records.records.at(-1)!.reasons, ["budget-unmetered", "triage-models"]);
});

test("a call that never reached a model (breaker open, or an HTTP error status from the endpoint) gives its hold back; one that timed out on the wire is booked at its worst case", async (t) => {
  const store = await openBudgetStore(await (await startNats(t)).connect());
  const perform = pipeline(policyDecision(budgeted), budgets(store, log));
  const failing = (code: string, details: Record<string, unknown> = {}) => ({
    ...modelCall({ usd: 0.2, tokens: 20 }, { usd: 0, tokens: 0 }),
    run: async () => Promise.reject(new TransientError(code as never, code, details)),
  });
  await assert.rejects(perform(failing("E_BREAKER_OPEN")));
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0, tokens: 0, held: { usd: 0, tokens: 0 } });
  // An endpoint outage answering 503 for its whole length must not spend the day's budget on calls that never ran.
  for (let i = 0; i < 3; i++) await assert.rejects(perform(failing("E_MODEL_ERROR", { endpoint: "eu", status: 503 })));
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0, tokens: 0, held: { usd: 0, tokens: 0 } });
  await assert.rejects(perform(failing("E_MODEL_TIMEOUT")));
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0.2, tokens: 20, held: { usd: 0, tokens: 0 } });
});

test("an effect that costs nothing (no spend) passes a budget untouched", async (t) => {
  const store = await openBudgetStore(await (await startNats(t)).connect());
  const effect = countingEffect({ action: "model.invoke", resource: { endpoint: "local", model: "small" } });
  await pipeline(policyDecision(budgeted), budgets(store, log))(effect);
  assert.equal(effect.runs, 1);
  assert.deepEqual(await store.spent("flow:ticket", hour), { usd: 0, tokens: 0, held: { usd: 0, tokens: 0 } });
});
