import assert from "node:assert/strict";
import { test } from "node:test";
import { deadLetterSchema, publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { sha256Hex } from "../../shared/envelope/index.js";
import { openLetterBody } from "../../shared/runtime/personal-data.js";
import { testDataKeys } from "../helpers/data-keys.js";

interface Malformed {
  readonly body: string | Uint8Array;
  /** A fragment the dead letter's reason must contain: the field or the problem. */
  readonly names: string;
}

function malformedEvents(): Malformed[] {
  const valid = invoiceEvents(100, { system: "bad" });
  const out: Malformed[] = [];
  for (let i = 0; i < 25; i++) out.push({ body: `{"tenant": "acme", oops ${i}`, names: "not JSON" });
  for (let i = 0; i < 25; i++) {
    const e = valid[i]!;
    out.push({ body: JSON.stringify({ ...e, payload: { ...e.payload, amount: `twelve-${i}` } }), names: "payload.amount" });
  }
  for (let i = 25; i < 50; i++) {
    const { tenant: _omit, ...rest } = valid[i]!;
    out.push({ body: JSON.stringify(rest), names: "tenant" });
  }
  for (let i = 50; i < 74; i++) {
    const e = valid[i]!;
    out.push({ body: JSON.stringify({ ...e, payload: { ...e.payload, currency: "euro" } }), names: "payload.currency" });
  }
  const huge = { ...valid[99]!, payload: { ...valid[99]!.payload, note: "x".repeat(2 * 1024 * 1024) } };
  out.push({ body: JSON.stringify(huge), names: "limit" });
  return out;
}

test("100 malformed events become 100 dead letters naming the problem; valid traffic beside them completes", { timeout: 240_000 }, async (t) => {
  const nats = await startNats(t);
  const mesh = await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const bad = malformedEvents();
  assert.equal(bad.length, 100);
  const good = invoiceEvents(200, { system: "good" });

  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    sends.push(publish(bus, subjects.inbound("invoice"), good[i]!, { msgId: `good-${i}` }));
    const m = bad[i >> 1];
    if (i % 2 === 0 && m) {
      sends.push(publish(bus, subjects.inbound("invoice"), typeof m.body === "string" ? new TextEncoder().encode(m.body) : m.body, { msgId: `bad-${i}` }));
    }
  }
  await Promise.all(sends);

  const letters = await waitFor("100 dead letters", async () => {
    const msgs = await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq("invoice") });
    return msgs.length >= 100 && msgs;
  }, { timeoutMs: 120_000 });
  const parsed = letters.map((m) => deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString("utf8"))));
  assert.equal(parsed.length, 100);
  assert.ok(parsed.every((l) => l.code === "E_SCHEMA" && l.agent === "ingest"));
  const expected = bad.map((b) => b.names).sort();
  const matched = parsed.map((l) => expected.find((n) => l.reason.includes(n)) ?? `unexplained: ${l.reason}`).sort();
  assert.deepEqual(matched, expected);
  const big = parsed.find((l) => l.reason.includes("limit"))!;
  assert.equal(big.body.encoding, "sealed", "MESH_IN keeps nothing once ingest is done: the letter holds the 2 MB body, sealed");
  assert.ok(parsed.every((l) => l.body.encoding === "sealed"), "every raw body is sealed in its letter");
  const opened = Buffer.from(openLetterBody(testDataKeys, big)!);
  assert.equal(opened.byteLength, big.body.bytes);
  assert.equal(sha256Hex(opened), big.body.encoding === "sealed" ? big.body.sha256 : "");

  const done = await waitFor("200 valid outcomes", async () => {
    const o = await outcomes(bus, "invoice");
    return o.total >= 200 && o;
  });
  assert.equal(done.total, 200);
  for (const name of ["ingest", "invoice"]) {
    assert.equal(mesh.get(name).child.exitCode, null, `${name} is still running`);
    assert.equal((await fetch(`http://127.0.0.1:${mesh.get(name).httpPort}/healthz`)).status, 200);
  }
});
