import assert from "node:assert/strict";
import { test } from "node:test";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

const secretWords = ["Siobhan", "Okonkwo", "4111111111111111", "GB82WEST12345698765432", "siobhan@example.org", "07700900123", "Wojciech", "Kowalczyk"];

/** Bodies that fail before, during and after JSON parsing, each carrying some of the secret words. */
const bodies: Record<string, Uint8Array> = {
  "not JSON": Buffer.from(`{"tenant": "acme", "region": "eu", "note": "Siobhan Okonkwo 4111111111111111" oops`),
  "plain text": Buffer.from("Siobhan Okonkwo, GB82WEST12345698765432, siobhan@example.org"),
  "invalid UTF-8": Buffer.concat([Buffer.from(`{"tenant":"acme","note":"Wojciech `), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(` Kowalczyk 07700900123"}`)]),
  "unknown field values": Buffer.from(JSON.stringify({ tenant: "acme", region: "Kowalczyk", source: { system: "x", id: "1" }, classification: "siobhan@example.org", payload: { text: 7 } })),
};

test("a dead letter's reason and the ingest log name what failed but repeat none of the body's bytes", { timeout: 120_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest"]);
  const bus = await nats.connect();
  await Promise.all(Object.values(bodies).map((body, i) => publish(bus, subjects.inbound("ticket"), body, { msgId: `bad-${i}` })));

  const letters = await waitFor("a dead letter per body", async () => {
    const msgs = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("ticket") });
    return msgs.length >= Object.keys(bodies).length && msgs.map((m) => deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))));
  });
  const reasons = letters.map((l) => l.reason);
  t.diagnostic(reasons.join("\n"));
  assert.ok(reasons.some((r) => /not JSON \(syntax error/.test(r)));
  assert.ok(reasons.some((r) => /not valid UTF-8/.test(r)));
  assert.ok(reasons.some((r) => /region: must be a region code/.test(r)), "a schema failure still names the field");
  const log = mesh.logs("ingest");
  for (const word of secretWords) {
    assert.ok(!reasons.some((r) => r.includes(word)), `a reason repeats ${word}`);
    assert.ok(!log.includes(word), `the ingest log repeats ${word}`);
  }
  for (const l of letters) {
    assert.equal(l.body.encoding, "sealed", "the body itself is kept, sealed");
    for (const word of secretWords) assert.ok(!JSON.stringify(l).includes(word), `letter ${l.streamSeq} carries ${word}`);
  }
});
