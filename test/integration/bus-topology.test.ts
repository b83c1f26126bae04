import assert from "node:assert/strict";
import { test } from "node:test";
import { buckets, declareTopology, streamNames } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";

test("the topology is declared idempotently: two operators declaring it concurrently leave one of each", async (t) => {
  const nats = await startNats(t);
  const [a, b] = await Promise.all([nats.connect("a"), nats.connect("b")]);
  await Promise.all([declareTopology(a), declareTopology(b)]);
  const names = [];
  for await (const s of a.jsm.streams.list()) if (s.config.name.startsWith("MESH_")) names.push(s.config.name);
  assert.deepEqual(names.sort(), Object.values(streamNames).sort());
  const kv = await b.js.views.kv(buckets.policy);
  assert.equal((await kv.status()).history, 64);
});

test("audit and label streams refuse delete and purge", async (t) => {
  const nats = await startNats(t);
  const bus = await nats.connect();
  for (const stream of [streamNames.audit, streamNames.label]) {
    const info = await bus.jsm.streams.info(stream);
    assert.equal(info.config.deny_delete, true);
    assert.equal(info.config.deny_purge, true);
    await bus.js.publish(stream === streamNames.audit ? "mesh.audit.eu" : "mesh.label.ticket", new TextEncoder().encode("{}"));
    await assert.rejects(bus.jsm.streams.purge(stream));
    await assert.rejects(bus.jsm.streams.deleteMessage(stream, 1));
  }
});
