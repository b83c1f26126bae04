import assert from "node:assert/strict";
import { test } from "node:test";
import { buckets, deadLetterSchema, openStateStore, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const [template] = invoiceEvents(1, { system: "harness" });

/** The event's JSON with `idJson` (raw bytes, inside the quotes) as source.id: as an outside client would send it. */
function withRawId(idJson: Uint8Array): Uint8Array {
  const [before, after] = JSON.stringify({ ...template, source: { system: "harness", id: "@ID@" } }).split("@ID@");
  return Buffer.concat([Buffer.from(before!), idJson, Buffer.from(after!)]);
}

/**
 * 20 distinct events that a lenient decoder merges pairwise into 10: invalid bytes 0xfe/0xff (and a truncated
 * sequence / a stray continuation byte) all become U+FFFD, and so do lone surrogates \ud800 and \udbff.
 */
function mergeable(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(withRawId(Buffer.concat([Buffer.from(`INV-${i}-`), Buffer.from([0xff])])));
    out.push(withRawId(Buffer.concat([Buffer.from(`INV-${i}-`), Buffer.from([0xfe])])));
    out.push(withRawId(Buffer.from(`INV-${i}-\\ud800`)));
    out.push(withRawId(Buffer.from(`INV-${i}-\\udbff`)));
  }
  return out;
}

test("20 distinct events with invalid UTF-8 or lone surrogates in source.id each become a dead letter naming source.id; none is merged or admitted", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const hostile = mergeable();
  // The well-formed id that every lenient decoding above would have produced for INV-0: it is its own event.
  const honest = withRawId(Buffer.from("INV-0-\ufffd"));
  await Promise.all([...hostile, honest].map((body, i) => publish(bus, subjects.inbound("invoice"), body, { msgId: `raw-${i}` })));

  const letters = await waitFor("a dead letter per hostile event", async () => {
    const msgs = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") });
    return msgs.length >= hostile.length && msgs.map((m) => deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))));
  });
  const done = await waitFor("the honest event's outcome", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= 1 && o;
  });
  assert.equal(letters.length, 20);
  assert.equal(new Set(letters.map((l) => l.streamSeq)).size, 20, "one letter per distinct inbound message");
  for (const l of letters) {
    assert.equal(l.code, "E_SCHEMA");
    assert.match(l.reason, /^source\.id: is not exactly what was sent/);
    assert.equal(l.source, undefined, "a source ref that is not exact is not repeated as if it were");
    assert.equal(l.body.encoding, "sealed");
  }
  assert.equal(letters.filter((l) => /not valid UTF-8/.test(l.reason)).length, 10);
  assert.equal(done.total, 1, "only the well-formed event has an outcome");
  const seen = await (await openStateStore(bus, buckets.seen)).keys();
  assert.equal(seen.length, 1, "only the well-formed event was admitted");
});

test("a broker-reported duplicate publish counts as duplicate in mesh_events_ingested_total, never as accepted", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest"]);
  const bus = await nats.connect();
  // The same source event 12 times at once under distinct inbound message ids: ingest handles them concurrently,
  // so several pass the mesh_seen check before any mark is written, and the broker's duplicate window decides.
  await Promise.all(Array.from({ length: 12 }, (_, i) => publish(bus, subjects.inbound("invoice"), template, { msgId: `same-${i}` })));
  const counted = await waitFor("12 ingested events counted", async () => {
    const text = await (await fetch(`http://127.0.0.1:${mesh.get("ingest").httpPort}/metrics`)).text();
    const count = (result: string) => Number(new RegExp(`mesh_events_ingested_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const c = { accepted: count("accepted"), duplicate: count("duplicate") };
    return c.accepted + c.duplicate >= 12 && c;
  });
  assert.deepEqual(counted, { accepted: 1, duplicate: 11 });
  assert.equal((await readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") })).length, 1);
});
