import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { headers as natsHeaders } from "nats";
import { restartNats, startNats } from "../../test/helpers/nats.js";
import { waitFor } from "../../test/helpers/wait.js";
import { readStream } from "./read-stream.js";
import { batchPublisher, pubAckOf } from "./publish-batch.js";
import { streamNames, subjects } from "./index.js";

const auditSubject = subjects.audit("eu", undefined, "invoice");
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ subject: auditSubject, body: { n: from + i }, msgId: `batch-${from + i}`, headers: { "Mesh-Agent": "invoice" } }));

test("a batch is stored in the order given, each result names its stream and seq, and a repeated Nats-Msg-Id comes back a duplicate", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const send = batchPublisher(bus);
  const first = await send(batch(0, 50), 2000);
  assert.deepEqual(first.map((r) => r.status === "fulfilled" && [r.value.stream, r.value.seq, r.value.duplicate]), first.map((_, i) => [streamNames.audit, i + 1, false]));
  const stored = await readStream(bus, streamNames.audit, { filterSubject: auditSubject });
  assert.deepEqual(stored.map((m) => (JSON.parse(Buffer.from(m.data).toString("utf8")) as { n: number }).n), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(stored[0]!.headers["Mesh-Agent"], "invoice");
  const again = await send(batch(48, 4), 2000);
  assert.deepEqual(again.map((r) => r.status === "fulfilled" && [r.value.seq, r.value.duplicate]), [[49, true], [50, true], [51, false], [52, false]]);
});

test("a message no stream takes is refused, naming its subject, and the rest of its batch is stored", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const results = await batchPublisher(bus)([...batch(0, 1), { subject: "nowhere.at.all", body: {}, msgId: "lost-1" }, ...batch(1, 1)], 2000);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /nowhere\.at\.all/);
});

test("with the broker away, every message of a batch is refused once its time is up, and the publisher works again once the broker is back", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  const send = batchPublisher(bus);
  let away: PromiseSettledResult<unknown>[] = [];
  await restartNats(t, nats, async () => {
    away = await send(batch(0, 3), 300);
  });
  assert.deepEqual(away.map((r) => r.status), ["rejected", "rejected", "rejected"]);
  assert.match(String((away[0] as PromiseRejectedResult).reason), /no stream ack within 300 ms/);
  // The same ids again, as the audit writer retries, until the reconnected client finds JetStream up: whatever the
  // reconnect flushed is answered as a duplicate, the rest stored, none twice.
  await waitFor("the batch stored once the broker is back", async () => (await send(batch(0, 3), 1000)).every((r) => r.status === "fulfilled"));
  assert.equal((await readStream(bus, streamNames.audit, { filterSubject: auditSubject })).length, 3);
});

test("on a closed connection every message of a batch is refused, none thrown", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  await bus.nc.close();
  const results = await batchPublisher(bus)(batch(0, 2), 500);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
});

test("any reply settles as a PubAck with stream and seq, or as a refusal naming the subject; none throws", () => {
  const status = (code: number, description: string) => natsHeaders(code, description);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.string(),
        fc.record({ stream: fc.oneof(fc.string(), fc.integer()), seq: fc.oneof(fc.integer(), fc.string()), duplicate: fc.oneof(fc.boolean(), fc.string()) }).map((v) => JSON.stringify(v)),
        fc.record({ error: fc.record({ code: fc.integer(), description: fc.string() }) }).map((v) => JSON.stringify(v)),
      ),
      fc.boolean(),
      (body, noResponders) => {
        const settled = pubAckOf({ data: new TextEncoder().encode(body), headers: noResponders ? status(503, "No Responders") : undefined }, "mesh.audit.eu.mesh.invoice");
        if (settled.status === "fulfilled") {
          assert.equal(noResponders, false);
          assert.equal(typeof settled.value.stream, "string");
          assert.ok(Number.isInteger(settled.value.seq) && settled.value.seq > 0);
        } else assert.match(String(settled.reason), /mesh\.audit\.eu\.mesh\.invoice/);
      },
    ),
    { numRuns: 500 },
  );
});
