import { subjects } from "../../shared/bus/index.js";
import { sampleTicketEvents } from "../../shared/datasets/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel } from "../../shared/models/index.js";
import { invoiceEvents } from "../demo/sample-invoices.js";
import type { Operator } from "../operator.js";

export type ChaosFlow = "invoice" | "ticket";

/** One inbound event of the run: what was sent, and when the broker stored it. */
export interface Sent {
  readonly envelopeId: string | undefined;
  readonly body: Uint8Array;
  /** The first attempt: latency is counted from here, so a publish held up by the fault counts against it. */
  firstAttemptAt?: number;
  storedAt?: number;
  /** Where the inbound stream stored it: ingest's letter for it names this seq. */
  seq?: number;
  attempts: number;
}

const encoder = new TextEncoder();
const json = (v: unknown) => encoder.encode(JSON.stringify(v));

/**
 * The run's valid events: invoices, or tickets where every other one needs the LLM (a pinned label the small model
 * cannot place), so an LLM fault has work to hold up. Source ids are unique to the run.
 */
export function validEvents(flow: ChaosFlow, count: number, runId: string): Sent[] {
  const system = `chaos-${runId}`;
  const events =
    flow === "invoice"
      ? invoiceEvents(count, { system })
      : sampleTicketEvents(count, { system }).map(({ event }, i) =>
          i % 2 ? { ...event, payload: { ...event.payload, text: `ticket ${i} zqx vvv ${pinLabel("card_arrival", 0.95)} plorp` } } : event,
        );
  return events.map((e) => ({ envelopeId: envelopeId(e.source), body: json(e), attempts: 0 }));
}

/**
 * Hostile inputs, each a distinct event ingest must refuse with exactly one dead letter: bytes that are not JSON, JSON
 * that is not an event, and the two that once merged distinct events into one id (invalid UTF-8, lone surrogates).
 */
export function poisonEvents(runId: string, rounds: number): Sent[] {
  const base = (id: string) => ({ ...invoiceEvents(1, { system: `poison-${runId}` })[0]!, source: { system: `poison-${runId}`, id } });
  const bodies = (r: number): Uint8Array[] => {
    const surrogate = encoder.encode(JSON.stringify(base("__ID__")).replace("__ID__", `P-${r}-\\ud800`));
    const invalidUtf8 = JSON.stringify(base("__ID__")).split("__ID__");
    return [
      encoder.encode(`{not json ${r}`),
      encoder.encode(`[${r}]`),
      json({ ...base(`P-${r}-nosource`), source: undefined }),
      json({ ...base(`P-${r}-type`), payload: { ...base("x").payload, amount: "lots" } }),
      surrogate,
      Uint8Array.from([...encoder.encode(invalidUtf8[0]!), ...encoder.encode(`P-${r}-`), 0xff, 0xfe, ...encoder.encode(invalidUtf8[1]!)]),
    ];
  };
  return Array.from({ length: rounds }, (_, r) => bodies(r)).flat().map((body) => ({ envelopeId: undefined, body, attempts: 0 }));
}

/**
 * Publishes one event through the operator (decided by policy, audited), trying again while the broker is away: the
 * same Nats-Msg-Id each time, so a retry whose first try was in fact stored is dropped as a duplicate.
 */
export async function publishUntilStored(operator: Operator, flow: ChaosFlow, sent: Sent, msgId: string, deadlineMs: number): Promise<boolean> {
  sent.firstAttemptAt ??= Date.now();
  for (;;) {
    sent.attempts++;
    try {
      sent.seq = (await operator.publish(subjects.inbound(flow), sent.body, msgId, {}, { chaos: true })).seq;
      sent.storedAt = Date.now();
      return true;
    } catch {
      if (Date.now() > deadlineMs) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
