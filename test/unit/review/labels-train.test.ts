import assert from "node:assert/strict";
import { test } from "node:test";
import { createRouter, loadShippedClassifiers, type LocalClassifier } from "../../../shared/models/index.js";
import { createMetrics } from "../../../shared/telemetry/index.js";
import { redactText } from "../../../shared/runtime/index.js";
import { splitLabels } from "../../../agents/trainer/retrain.js";
import { recordingGate, task } from "../models/fixtures.js";
import { ticketRequest } from "./fixtures.js";
import { Client, startTestService, tokens } from "./harness.js";

/** The shipped ticket model, recording the text each prediction was asked on. */
function servedModel(): { model: LocalClassifier; seen: string[] } {
  const shipped = loadShippedClassifiers()["ticket-intent"]!;
  const seen: string[] = [];
  const model = Object.create(shipped, {
    predict: { value: (text: string) => (seen.push(text), shipped.predict(text)) },
  }) as LocalClassifier;
  return { model, seen };
}

test("a label a review decision stores holds the very text the small model serves on, and the trainer trains on that text", async (t) => {
  const raw = "Hi, I'm Bertie Wooster, my card 4111 1111 1111 1111 never arrived, mail me at bertie@example.com";
  const { service, queue, decisions } = await startTestService(t);
  const request = ticketRequest(raw);
  await queue.intake(request);
  const alice = new Client(service.url);
  await alice.signIn(tokens.alice);
  await alice.request("POST", `/api/items/${request.envelopeId}/claim`);
  const res = await alice.request("POST", `/api/items/${request.envelopeId}/decision`, { decision: "correct", corrections: { intent: "card_arrival" } });
  assert.equal(res.status, 200, res.text);
  const label = decisions[0]!.label!;
  assert.doesNotMatch(label.text, /4111|bertie@example|Bertie/, "the label is redacted");

  // Serving: the router as the runtime builds it (the policy library's redaction), the shipped model behind it.
  const { model, seen } = servedModel();
  const { gate } = recordingGate();
  const router = createRouter({ endpoints: [] }, { classifiers: { "ticket-intent": model }, gate, redact: (s) => redactText(s).text, metrics: createMetrics() });
  await router.classify("ticket-intent", raw, task("served"));
  assert.deepEqual(seen, [label.text], "the model serves on the label's text");

  // Training: the label's row carries that same text (a label that hashes into the held-out fifth is scored on it instead).
  const { train, holdout } = splitLabels([{ ...label, inputDigest: "d1" }], ["card_arrival"]);
  assert.deepEqual([...train, ...holdout].map((r) => [r.text, r.category]), [[label.text, "card_arrival"]]);
});
