import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort } from "../../cli/local-nats.js";
import { headerRecord } from "../../shared/bus/publish.js";
import { publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { mulberry32 } from "../../shared/prng/index.js";
import { outcomes } from "../helpers/outcomes.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";
import { waitFor } from "../helpers/wait.js";
import { createCorpus } from "../unit/policy/pii-corpus.js";
import { createNameCorpus } from "../unit/policy/person-name-corpus.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { rawBus } from "../../shared/bus/raw-bus.js";

const decoder = new TextDecoder();
const TICKETS = 30;
const INVOICES = 30;

/** Checksum-valid national ids: US SSN (valid areas), UK NINO (valid prefixes), Spanish DNI (mod-23 letter). */
function nationalIds(n: number, seed: number): string[] {
  const rnd = mulberry32(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const pad = (v: number, w: number) => String(v).padStart(w, "0");
  return Array.from({ length: n }, (_, i) => {
    if (i % 3 === 0) return `${pad(100 + int(500), 3)}-${pad(10 + int(89), 2)}-${pad(1000 + int(8999), 4)}`;
    if (i % 3 === 1) return `${["AB", "CE", "JK", "PR", "WX"][int(5)]} ${pad(int(100), 2)} ${pad(int(100), 2)} ${pad(int(100), 2)} ${"ABCD"[int(4)]}`;
    const num = 10_000_000 + int(89_999_999);
    return `${num}${"TRWAGMYFPDXBNJZSQVHLCKE"[num % 23]}`;
  });
}

interface Seeded {
  readonly tickets: { event: object; values: string[] }[];
  readonly invoices: { event: object; values: string[] }[];
  readonly bad: { body: Uint8Array; values: string[] }[];
}

function seed(): Seeded {
  const corpus = createCorpus(TICKETS, 9001);
  const names = createNameCorpus(TICKETS + INVOICES + 3, 9002);
  const ids = nationalIds(TICKETS + 3, 9003);
  const tickets = corpus.map((c, i) => {
    const customer = `customer.${i}.x@example.net`;
    const text = `${c.text} ${names[i]!.text} My ID is ${ids[i]}. I want a refund, the card payment was charged twice.`;
    return {
      event: { tenant: "acme", region: "eu", source: { system: "helpdesk", id: `T-${i}` }, payload: { text, customerId: customer, channel: "email" } },
      values: [...c.values.map((v) => v.value), names[i]!.name, ids[i]!, customer],
    };
  });
  const ibans = createCorpus(INVOICES * 4, 9004).flatMap((c) => c.values).filter((v) => v.entity === "IBAN").map((v) => v.value);
  const invoices = Array.from({ length: INVOICES }, (_, i) => {
    const name = names[TICKETS + i]!.name;
    const vendor = `VENDOR-${name.replace(/\W+/g, "")}-${i}`;
    const payee = { name, iban: ibans[i]!, email: `payee.${i}@invoices.example.com`, phone: `+44 20 7946 ${String(1000 + i)}` };
    const po = { poNumber: `PO-${i}`, vendorId: vendor, amount: 100 + i, currency: "EUR" };
    // Every third invoice names another vendor: its escalation reason quotes both vendor ids.
    const payload = { invoiceNumber: `INV-${i}`, poNumber: po.poNumber, vendorId: i % 3 === 0 ? `${vendor}-OTHER` : vendor, amount: po.amount, currency: "EUR", purchaseOrder: po, payee };
    return {
      event: { schemaVersion: 2, tenant: "acme", region: "eu", source: { system: "erp", id: `I-${i}` }, payload },
      values: [name, vendor, payee.iban, payee.email, payee.phone],
    };
  });
  const badName = names.at(-1)!.name;
  const bad = [
    { body: Buffer.from(`{"tenant": "acme", "card": "${ids.at(-1)}", "who": "${badName}" oops`), values: [ids.at(-1)!, badName] },
    { body: Buffer.concat([Buffer.from(`{"tenant":"acme","note":"${ids.at(-2)} `), Buffer.from([0xff, 0xfe]), Buffer.from(`"}`)]), values: [ids.at(-2)!] },
    {
      body: Buffer.from(JSON.stringify({ tenant: "acme", region: "eu", source: { system: "helpdesk", id: "bad-3" }, payload: { text: "", customerId: `bad.${ids.at(-3)}@example.net` } })),
      values: [`bad.${ids.at(-3)}@example.net`],
    },
  ];
  return { tickets, invoices, bad };
}

/** Every message of every stream (KV_* and OBJ_* included), read by sequence: subject, headers and body as text. */
async function everyMessage(bus: Bus): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const info of rawBus(bus).jsm.streams.list()) {
    const name = info.config.name;
    const texts: string[] = [];
    const { first_seq: first, last_seq: last } = (await rawBus(bus).jsm.streams.info(name)).state;
    for (let seq = first; seq > 0 && seq <= last; seq++) {
      const m = await rawBus(bus).jsm.streams.getMessage(name, { seq }).catch(() => undefined);
      if (m) texts.push(`${m.subject}\n${JSON.stringify(headerRecord(m.header))}\n${decoder.decode(m.data)}`);
    }
    out.set(name, texts);
  }
  return out;
}

test(
  "after a full run with seeded PII (cards, IBANs, emails, phones, national ids, names), no stream and no bucket holds one in clear",
  { timeout: 420_000 },
  async (t) => {
    const port = await freePort();
    const { bus, mesh } = await startTriageMesh(t, {
      agents: ["ingest", "invoice", "triage", "review"],
      env: { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens },
    });
    const { tickets, invoices, bad } = seed();
    await Promise.all([
      ...tickets.map((s, i) => publish(bus, subjects.inbound("ticket"), s.event, { msgId: `t-${i}` })),
      ...invoices.map((s, i) => publish(bus, subjects.inbound("invoice"), s.event, { msgId: `i-${i}` })),
      ...bad.map((s, i) => publish(bus, subjects.inbound("ticket"), s.body, { msgId: `b-${i}` })),
    ]);

    await waitFor("an outcome for every task and a dead letter for every bad event", async () => {
      const [tk, inv, dlq] = [await outcomes(bus, "ticket"), await outcomes(bus, "invoice"), await readStream(bus, streamNames.dlq)];
      return tk.total >= TICKETS && inv.total >= INVOICES && dlq.length >= bad.length;
    }, { timeoutMs: 240_000, describe: async () => `${JSON.stringify([(await outcomes(bus, "ticket")).total, (await outcomes(bus, "invoice")).total])}\n${mesh.logs("triage").slice(-1500)}` });
    const invoiceResults = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("invoice") })).map((m) => JSON.parse(decoder.decode(m.data)));
    assert.equal(invoiceResults.filter((r) => r.result.matched).length, INVOICES - Math.ceil(INVOICES / 3), "invoice matched the opened vendor ids");

    // Reviewers decide every escalation: labels, corrections and decisions join the streams, triage resumes.
    const bob = new Client(`http://127.0.0.1:${port}`);
    assert.equal((await bob.signIn(tokens.bob)).status, 200);
    const carol = new Client(`http://127.0.0.1:${port}`);
    assert.equal((await carol.signIn(tokens.carol)).status, 200);
    const escalated = (await outcomes(bus, "ticket")).escalated + (await outcomes(bus, "invoice")).escalated;
    const queue = await waitFor("every escalation in the review queue", async () => {
      const items = (await bob.request("GET", "/api/queue?pageSize=100")).json.items as { id: string; flow: string; preview: string }[];
      return items.length >= escalated && items;
    });
    const ticketItems = queue.filter((i) => i.flow === "ticket");
    assert.ok(ticketItems.length > 0 && queue.some((i) => i.flow === "invoice"), "both flows escalated some tasks");
    const shown = await bob.request("GET", `/api/items/${ticketItems[0]!.id}`);
    assert.match(shown.json.input.text, /charged twice/, "the reviewer reads the opened ticket text");
    assert.doesNotMatch(shown.json.input.text, /pii:v1:/);
    for (const item of queue) {
      assert.equal((await bob.request("POST", `/api/items/${item.id}/claim`)).status, 200);
      const decision = item.flow === "ticket" ? { decision: "correct", corrections: { intent: "request_refund" }, confirmed: true } : { decision: "reject", reasonCode: "other" };
      const res = await bob.request("POST", `/api/items/${item.id}/decision`, decision);
      assert.equal(res.status, 200, res.text);
      // A refund is high-risk: policy asks a second approver for bob's correction.
      if (res.json.pending) {
        assert.equal((await carol.request("POST", `/api/items/${item.id}/claim`)).status, 200);
        const second = await carol.request("POST", `/api/items/${item.id}/decision`, { decision: "approve", confirmed: true });
        assert.equal(second.status, 200, second.text);
      }
    }
    await waitFor("a label per ticket decision and the resumed tickets completed", async () => {
      const labels = await readStream(bus, streamNames.label);
      const resumed = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("ticket") }))
        .map((m) => JSON.parse(decoder.decode(m.data)))
        .filter((r) => r.result.decision === "correct");
      return labels.length >= ticketItems.length && resumed.length >= ticketItems.length;
    }, { timeoutMs: 60_000 });

    const stored = (await readStream(bus, streamNames.task, { filterSubject: subjects.task("ticket", "ingested") })).map((m) => JSON.parse(decoder.decode(m.data)));
    assert.ok(stored.every((m) => /^pii:v1:eu:k2:/.test(m.envelope.payload.text)), "ticket text is sealed with eu's active key");
    assert.ok(stored.some((m) => m.envelope.id === envelopeId({ system: "helpdesk", id: "T-0" })));

    const values = [...tickets, ...invoices, ...bad].flatMap((s) => s.values).filter((v) => v.length >= 6);
    const everything = await everyMessage(bus);
    const hits: Record<string, string[]> = {};
    for (const [stream, texts] of everything) {
      const found = values.filter((v) => texts.some((text) => text.includes(v)));
      t.diagnostic(`${stream}: ${texts.length} messages, ${found.length} seeded values in clear`);
      if (found.length) hits[stream] = found;
    }
    t.diagnostic(`${values.length} seeded values checked in ${everything.size} streams`);
    assert.ok(everything.has("KV_mesh_seen") && everything.has("KV_mesh_state_review") && everything.has(streamNames.in));
    assert.equal(everything.get(streamNames.in)!.length, 0, "MESH_IN keeps no raw event once ingest is done");
    assert.deepEqual(hits, {}, "no seeded value in clear anywhere");
  },
);
