import assert from "node:assert/strict";
import { test } from "node:test";
import { loadAgentDefinition } from "../../../shared/runtime/index.js";
import { brokerFootprint } from "../../../shared/runtime/broker-footprint.js";
import { consumerSpecs } from "../../../shared/runtime/consumer-specs.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";

const doc = loadPolicyFile(defaultPolicyPath).document;

test("consumer specs follow the definition: an agent that resumes also reads its decisions, settings come from the caller", async () => {
  const triage = consumerSpecs(await loadAgentDefinition("triage"), { ackWaitMs: 2000, maxDeliver: 3, maxParkedDeliveries: 50, maxAckPending: 10 });
  assert.deepEqual(
    triage.map((s) => [s.role, s.stream, s.durable, s.filterSubject, s.ackWaitMs, s.maxDeliver, s.maxAckPending]),
    [
      ["main", "MESH_TASK", "triage", "mesh.task.ticket.ingested", 2000, 50, 10],
      ["resume", "MESH_REVIEW", "triage-resume", "mesh.review.ticket.decided", 2000, 50, 10],
    ],
  );
  assert.deepEqual(consumerSpecs(await loadAgentDefinition("ingest")).map((s) => s.filterSubject), ["mesh.in.>"]);
});

test("only the agent the document lets write the dedupe marks may read them: they hold whole envelopes", async () => {
  for (const name of ["ingest", "invoice", "triage", "review", "trainer"]) {
    const seen = brokerFootprint(await loadAgentDefinition(name), doc).buckets.find((b) => b.name === "mesh_seen");
    assert.equal(seen?.access, name === "ingest" ? "write" : "info", name);
  }
});

test("an agent writes its own state bucket only when it declares state, reads the model store only when it consumes tasks or labels, and the document store only when it declares documents", async () => {
  const review = brokerFootprint(await loadAgentDefinition("review"), doc);
  assert.ok(review.buckets.some((b) => b.name === "mesh_state_review" && b.access === "write"));
  assert.deepEqual(review.objectStores, ["mesh_documents"], "it shows reviewers the documents items name, and needs no models");
  const invoice = brokerFootprint(await loadAgentDefinition("invoice"), doc);
  assert.ok(!invoice.buckets.some((b) => b.name.startsWith("mesh_state_")));
  assert.deepEqual(invoice.objectStores, ["mesh_models"]);
  const trainer = brokerFootprint(await loadAgentDefinition("trainer"), doc);
  assert.ok(trainer.buckets.some((b) => b.name === "mesh_models_current" && b.access === "write"));
  assert.deepEqual(trainer.reads, ["MESH_LABEL"], "its service may read labels back: the document lets it read them");
});
