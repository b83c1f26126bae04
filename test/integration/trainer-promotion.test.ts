import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { artifactBytes, trainChallenger } from "../../agents/trainer/retrain.js";
import { openModelStore, openStateStore, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { foldOf, loadBanking77, splitBanking77 } from "../../shared/datasets/index.js";
import { classifierFromBytes, triageModelName } from "../../shared/models/index.js";
import type { Label } from "../../shared/runtime/index.js";
import { consumerSettled, outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();

test("after N new labels the trainer retrains, beats the weak champion on the held-out set, promotes through the model store (audited), and triage hot-loads it", { timeout: 600_000 }, async (t) => {
  // Triage reads the model store when its first ticket arrives, so the weak champion below is what it starts on.
  const { mesh, bus } = await startTriageMesh(t, {
    agents: ["ingest", "triage", "trainer"],
    // This test is about the path (labels → training → gate → store → hot-load). With no intent floors: the weak
    // champion auto-handles no high-risk ticket, so any floor would be judged on the challenger alone
    // (test/unit/trainer/promotion-gate.test.ts proves the floors).
    env: { TRAINER_MIN_LABELS: "20", TRAINER_CHECK_MS: "500", TRAINER_INTENT_FLOORS: "{}" },
  });
  const models = await openModelStore(bus);

  // The model in service is a weak one: trained on a twentieth of the training rows.
  const { rows, categories } = loadBanking77();
  const { fit } = splitBanking77(rows);
  const weak = trainChallenger(fit.filter((r) => foldOf(r.text, 20) === 0), { name: triageModelName, categories });
  await models.publish(triageModelName, weak.version, artifactBytes(weak), { note: "weak champion" });


  const labelled = fit.filter((r) => foldOf(r.text, 20) === 1).slice(0, 20);
  const labels: Label[] = labelled.map((r, i) => ({
    envelopeId: `env_${i.toString(16).padStart(32, "0")}`,
    inputDigest: `sha256:${createHash("sha256").update(r.text).digest("hex")}`,
    text: r.text,
    prediction: categories[(categories.indexOf(r.category) + 1) % categories.length]!,
    correction: r.category,
    reviewer: { id: "alice", roles: ["reviewer"] },
    leadTimeMs: 30_000,
    policyRevision: 1,
    modelVersion: weak.version,
    at: new Date().toISOString(),
  }));
  // 19 labels and one redelivered duplicate: not yet enough new inputs.
  for (const l of labels.slice(0, 19)) await publish(bus, subjects.label("ticket"), l, { msgId: `${l.envelopeId}:review:label` });
  await publish(bus, subjects.label("ticket"), labels[0], { msgId: "a-redelivery" });
  await consumerSettled(bus, streamNames.label, "trainer");
  const trainerState = await openStateStore(bus, "mesh_state_trainer");
  assert.equal((await trainerState.get<{ newLabels: number }>("trainer.progress"))?.value.newLabels, 19, "the redelivered label is not counted again");
  // The trainer says when a check weighed the labels and found training not yet due.
  await waitFor("the trainer weighed 19 new labels", async () => mesh.logs("trainer").includes("not due: 19 new labels of 20"), { timeoutMs: 60_000 });
  assert.equal(await trainerState.get("trainer.lock"), undefined, "19 distinct labels do not start a training");
  assert.equal((await models.current(triageModelName))?.version, weak.version, "19 distinct labels do not promote anything");

  // Triage loads its models with its first ticket, and from then on watches for promotions.
  await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: "1" }, payload: { text: "What exchange rate will I get?" } }, { msgId: "raw-1" });
  await waitFor("triage handled a ticket", async () => (await outcomes(bus, "ticket")).total >= 1, { timeoutMs: 60_000 });

  await publish(bus, subjects.label("ticket"), labels[19], { msgId: `${labels[19]!.envelopeId}:review:label` });
  // Training runs in a worker thread: while it holds the lock, the agent still answers its health check.
  await waitFor("the training started", async () => (await trainerState.get("trainer.lock")) !== undefined, { timeoutMs: 30_000 });
  const health = await fetch(`http://127.0.0.1:${mesh.get("trainer").httpPort}/healthz`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(health.status, 200);
  assert.ok(await trainerState.get("trainer.lock"), "the health check was answered mid-training");

  const promoted = await waitFor("a promoted version", async () => {
    const p = await models.current(triageModelName);
    return p && p.version !== weak.version && p;
  }, { timeoutMs: 480_000, describe: () => mesh.logs("trainer").slice(-2000) });
  t.diagnostic(`promotion: ${JSON.stringify(promoted.meta)}`);
  const figures = promoted.meta as { challengerFigures: { accuracy: number }; championFigures: { accuracy: number }; mcnemar: { pValue: number } };
  assert.ok(figures.challengerFigures.accuracy > figures.championFigures.accuracy, JSON.stringify(promoted.meta));
  assert.ok(figures.mcnemar.pValue <= 0.05, JSON.stringify(figures.mcnemar));
  assert.equal(promoted.meta.champion, weak.version);
  assert.equal(promoted.meta.labelRows, 20);
  const stored = classifierFromBytes((await models.get(triageModelName, promoted.version))!);
  assert.equal(stored.version, promoted.version);

  const audited = await waitFor("the promotion in the audit trail", async () => {
    const records = (await readStream(bus, streamNames.audit)).map((m) => decoder.decode(m.data));
    return records.find((r) => r.includes(promoted.version) && r.includes("data.write"));
  });
  assert.match(audited, /trainer/);
  await waitFor("triage hot-loaded the promoted version", async () => mesh.logs("triage").includes(promoted.version) && mesh.logs("triage").includes("hot-loaded"));
});
