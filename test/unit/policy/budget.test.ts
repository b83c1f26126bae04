import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { validatePolicyDocument } from "../../../policy/index.js";
import { reserveBudgets, settleBudgets, BUDGET_BUSY, BUDGET_EXHAUSTED } from "../../../policy/budget/index.js";
import { openBudgetStore } from "../../../shared/bus/budget-store.js";
import { policyOf } from "../../helpers/effect-fixtures.js";
import { startNats } from "../../helpers/nats.js";

const rule = (obligation: Record<string, unknown>, actions: unknown = ["model.invoke"]) => ({
  revision: 1,
  rules: [{ id: "spend", effect: "obligate", actions, principals: ["*"], obligations: [{ kind: "budget", key: "flow:{flow}", windowMs: 60_000, ...obligation }] }],
});
const invalid = (doc: unknown) => {
  try {
    validatePolicyDocument(doc, "doc");
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail("the document was accepted");
};

test("a budget without a limit, one on actions other than model.invoke, and one with a window over 31 days are refused, naming the field", () => {
  assert.match(invalid(rule({})), /rules\.0\.obligations\.0\.limitUsd: a budget needs limitUsd, limitTokens or both/);
  assert.match(invalid(rule({ limitUsd: 1 }, ["model.invoke", "tool.call"])), /rules\.0\.actions: a budget obligation meters model calls/);
  assert.match(invalid(rule({ limitUsd: 1, windowMs: 40 * 86_400_000 })), /rules\.0\.obligations\.0\.windowMs: at most/);
  assert.match(invalid(rule({ limitTokens: 1.5 })), /rules\.0\.obligations\.0\.limitTokens/);
});

test("3 replicas reserving concurrently on one broker never hold more than the budget, and settled spend is what the calls cost", { timeout: 60_000 }, async (t) => {
  const nats = await startNats(t);
  // One pinned clock, so no run straddles a window edge.
  const now = () => 1_800_000_000_000;
  const replicas = await Promise.all([1, 2, 3].map(async (i) => openBudgetStore(await nats.connect(`triage-${i}`), { now })));
  const policy = policyOf([{ id: "spend", effect: "permit", actions: ["model.invoke"], principals: ["triage"], obligations: [{ kind: "budget", key: "k{flow}", limitUsd: 1, windowMs: 3_600_000 }] }]);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ replica: fc.nat(2), estimate: fc.integer({ min: 1, max: 40 }), costShare: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 40 }),
      async (calls) => {
        const flow = `run${run++}`;
        const req = { action: "model.invoke", principal: { agent: "triage" }, resource: { model: "m" }, context: { task: { id: "t", flow, region: "eu", tenant: "a", classification: "internal" } } } as const;
        const outcomes = await Promise.all(
          calls.map(async (c) => {
            const store = replicas[c.replica]!;
            const estimate = { usd: c.estimate / 100, tokens: 0 };
            const { decision, holds } = await reserveBudgets(policy.decide(req), estimate, store);
            if (decision.effect === "deny") return { ran: false, cost: 0, reason: decision.reasons[0] };
            const cost = Math.round(estimate.usd * c.costShare * 1e6) / 1e6;
            await settleBudgets(holds, { usd: cost, tokens: 0 }, store);
            return { ran: true, cost, reason: undefined };
          }),
        );
        const spent = (await replicas[0]!.spent(`k${flow}`, 3_600_000)).usd;
        const ranCost = outcomes.filter((o) => o.ran).reduce((n, o) => n + o.cost, 0);
        assert.ok(spent <= 1 + 1e-9, `spent ${spent} of 1`);
        assert.ok(Math.abs(spent - ranCost) < 1e-6, `counter ${spent}, calls that ran cost ${ranCost}`);
        // Refused because the budget was spent, or parked because calls in flight held it.
        for (const o of outcomes) if (!o.ran) assert.ok(o.reason === BUDGET_EXHAUSTED || o.reason === BUDGET_BUSY, o.reason);
        assert.equal((await replicas[0]!.spent(`k${flow}`, 3_600_000)).held.usd, 0, "every hold settled");
      },
    ),
    { numRuns: 15 },
  );
});

test("a hold whose replica died expires into spend at its worst case, and a late settle corrects it to the cost", async (t) => {
  const nats = await startNats(t);
  let clock = 1_800_000_000_000;
  const store = await openBudgetStore(await nats.connect(), { holdTtlMs: 1_000, now: () => clock });
  const r = await store.reserve("k", { usd: 0.5, tokens: 50 }, { usd: 1 }, 3_600_000);
  assert.equal(r.outcome, "reserved");
  assert.deepEqual(await store.spent("k", 3_600_000), { usd: 0, tokens: 0, held: { usd: 0.5, tokens: 50 } });
  clock += 1_001;
  assert.deepEqual(await store.spent("k", 3_600_000), { usd: 0.5, tokens: 50, held: { usd: 0, tokens: 0 } });
  await store.settle("k", 3_600_000, r.windowStart, { id: r.holdId, amount: { usd: 0.5, tokens: 50 } }, { usd: 0.2, tokens: 20 });
  assert.deepEqual(await store.spent("k", 3_600_000), { usd: 0.2, tokens: 20, held: { usd: 0, tokens: 0 } });
});
