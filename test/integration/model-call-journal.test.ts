import assert from "node:assert/strict";
import { test } from "node:test";
import { envelopeId } from "../../shared/envelope/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { pinLabel, type ReceivedRequest } from "../../shared/models/index.js";
import { waitFor } from "../helpers/wait.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";

const decoder = new TextDecoder();

/** Both ask for structured output; the schema's name tells a classification from a draft. */
const isClassification = (r: ReceivedRequest) => JSON.stringify(r.body).includes('"json_schema":{"name":"classification"');
const mentions = (r: ReceivedRequest, marker: string) => JSON.stringify(r.body).includes(marker);

test("a ticket whose triage is SIGKILLed after the LLM answered its classification and before the ack is completed on redelivery with that one classification request", { timeout: 180_000 }, async (t) => {
  const { standIn, mesh, bus } = await startTriageMesh(t);
  // Slow answers (under the endpoint's timeout) hold the draft in flight long enough to kill triage during it.
  standIn.configure({ latencyMs: 3_000 });
  const marker = "zqxjournal";
  const text = `ticket ${marker} vvv ${pinLabel("card_arrival", 0.95)} plorp`;
  await publish(bus, subjects.inbound("ticket"), { tenant: "acme", region: "eu", source: { system: "helpdesk", id: "journal-1" }, payload: { text } }, { msgId: "raw-journal-1" });

  const ours = () => standIn.requests().filter((r) => mentions(r, marker));
  // The draft is asked only after the classification was answered and journaled: kill while it is in flight.
  await waitFor("the LLM answered the classification and the draft was asked", async () => ours().some((r) => !isClassification(r)), { timeoutMs: 60_000 });
  await mesh.kill("triage", "SIGKILL");
  assert.equal(ours().filter(isClassification).length, 1);

  standIn.configure({ latencyMs: 0 });
  await mesh.start("triage");
  const id = envelopeId({ system: "helpdesk", id: "journal-1" });
  const results = async () =>
    (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") }))
      .map((m) => JSON.parse(decoder.decode(m.data)) as { envelopeId: string; result: { intent: string; tier: string } })
      .filter((r) => r.envelopeId === id);
  await waitFor("the redelivered ticket completed", async () => (await results()).length === 1, { timeoutMs: 90_000 });

  const [done] = await results();
  assert.equal(done!.result.intent, "card_arrival");
  assert.equal(done!.result.tier, "large");
  assert.equal(ours().filter(isClassification).length, 1, "the redelivery reused the journaled classification instead of asking again");
  // The draft killed in flight was never answered to triage, so it is asked again: that is the only repeat.
  assert.equal(ours().filter((r) => !isClassification(r)).length, 2);
  assert.match(mesh.logs("triage"), /reusing the journaled answer of a model call this task already made/);
});
