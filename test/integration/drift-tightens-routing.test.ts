import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultPolicyPath, loadPolicyFile } from "../../policy/index.js";
import { loadBanking77, splitBanking77 } from "../../shared/datasets/index.js";
import { shuffled } from "../../shared/prng/index.js";
import { PolicyDeniedError } from "../../shared/errors/index.js";
import { createRouter, loadShippedClassifiers, type ModelGate } from "../../shared/models/index.js";
import { pipeline } from "../../shared/runtime/effects/pipeline.js";
import { policyDecision } from "../../shared/runtime/effects/policy-decision.js";
import { DriftMonitor, DriftResponse, createMetrics } from "../../shared/telemetry/index.js";

/**
 * The shipped small model and policy, the router, and drift as the runtime wires them: each classification's
 * input length feeds the monitor, and the flow's drift state is a fact of the policy decision on the call.
 */
function triageBench(stableMs: number) {
  let clock = 1_800_000_000_000;
  const metrics = createMetrics();
  const monitor = new DriftMonitor(metrics, { referenceSize: 300, windowSize: 200, minSamples: 100, now: () => clock });
  const changes: boolean[] = [];
  const response = new DriftResponse(monitor, metrics, { stableMs, now: () => clock, onChange: (c) => changes.push(c.tightened) });
  const policy = loadPolicyFile(defaultPolicyPath);
  const perform = pipeline(policyDecision(policy));
  const gate: ModelGate = {
    async invoke(req, call) {
      const task = { id: req.task.id, flow: req.task.flow, region: "eu", tenant: "acme", classification: "internal" };
      try {
        const value = await perform({
          action: "model.invoke",
          principal: { agent: "triage" },
          resource: { endpoint: req.endpoint, model: req.model, region: req.region, trusted: req.trusted },
          facts: { task, drift: response.assess(req.task.flow) },
          region: "eu",
          run: (decision) => {
            const t = decision.obligations.find((o) => o.kind === "tighten_routing");
            return call(false, t?.kind === "tighten_routing" ? { small: t.small, large: t.large } : undefined);
          },
        });
        return { allowed: true, value };
      } catch (err) {
        if (!(err instanceof PolicyDeniedError)) throw err;
        return { allowed: false, reasons: err.reasons, message: err.message };
      }
    },
  };
  const router = createRouter({}, { classifiers: loadShippedClassifiers(), gate, redact: (t) => t, metrics });
  let n = 0;
  /** Routes each text; returns the share the mesh handled alone (coverage) and how many of those were right. */
  const route = async (rows: readonly { text: string; category: string }[]) => {
    let auto = 0;
    let right = 0;
    const tightenedAt: boolean[] = [];
    for (const row of rows) {
      const r = await router.classify("ticket-intent", row.text, { id: `t${n++}`, flow: "ticket", region: "eu" });
      monitor.observe("ticket", "input_length", row.text.length);
      tightenedAt.push(response.assess("ticket").tightened);
      if (r.decision === "accept") {
        auto++;
        if (r.label === row.category) right++;
      }
    }
    return { coverage: auto / rows.length, precision: auto ? right / auto : 1, tightenedAt };
  };
  return { route, changes, advance: (ms: number) => (clock += ms), tightened: () => response.assess("ticket").tightened };
}

// Shuffled: the held-out rows come grouped by intent, and each intent has its own lengths.
const evaluation = shuffled(splitBanking77(loadBanking77().rows).evaluation, 13);
/** The channel starts dropping words (every third one): shorter inputs, and a small model sure of the wrong intent more often. */
const garbled = (text: string) => text.split(" ").filter((_, i) => i % 3 !== 1).join(" ");

test("when the inputs shift the flow's routing tightens: auto-handled precision stays at or above 0.97 while coverage drops, and it relaxes only after a stable window", { timeout: 60_000 }, async (t) => {
  const bench = triageBench(60_000);
  const reference = evaluation.slice(0, 300);
  await bench.route(reference);
  const before = await bench.route(evaluation.slice(300, 600));
  assert.ok(before.tightenedAt.every((t) => !t), "like-for-like traffic does not tighten");

  const shifted = evaluation.slice(600, 1200).map((r) => ({ ...r, text: garbled(r.text) }));
  const during = await bench.route(shifted);
  const trippedAfter = during.tightenedAt.indexOf(true);
  assert.ok(trippedAfter >= 0 && trippedAfter <= 150, `tightened after ${trippedAfter} shifted tickets`);
  const tight = await bench.route(evaluation.slice(1200, 1750).map((r) => ({ ...r, text: garbled(r.text) })));
  t.diagnostic(`before: coverage ${before.coverage.toFixed(3)} precision ${before.precision.toFixed(3)}; shifted (whole): coverage ${during.coverage.toFixed(3)} precision ${during.precision.toFixed(3)}; shifted, tightened: coverage ${tight.coverage.toFixed(3)} precision ${tight.precision.toFixed(3)}`);
  assert.ok(tight.tightenedAt.every(Boolean));
  assert.ok(tight.precision >= 0.97, `auto-handled precision while tightened: ${tight.precision}`);
  assert.ok(tight.coverage < before.coverage, `coverage ${tight.coverage} < ${before.coverage}`);

  // The inputs recover: the routing stays tight until both signals stayed under their limits for the stable window.
  await bench.route(evaluation.slice(1750));
  assert.equal(bench.tightened(), true, "not relaxed before the stable window passed");
  bench.advance(60_000);
  assert.equal(bench.tightened(), false, "relaxed once the inputs stayed stable for the window");
  assert.deepEqual(bench.changes, [true, false]);
});
