import { z } from "zod";
import type { Subscription } from "nats";
import type { Bus } from "./connection.js";
import type { DeadLetter } from "./dead-letter.js";
import { flowOf, subjects } from "./subjects.js";
import { rawBus } from "./raw-bus.js";

const maxDeliveriesAdvisory = z.object({
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number(),
  deliveries: z.number(),
});

/**
 * When a process dies during a message's last allowed delivery, nobody is left to dead-letter it in-process.
 * The server then emits a MAX_DELIVERIES advisory; one replica (queue group) copies the message to the DLQ.
 * The dead letter's Nats-Msg-Id is the same as the in-process one, so the two paths never produce two entries.
 * An agent's identity may not read stored messages back (no message get on the streams it consumes), so the
 * letter points at the message (stream + sequence) instead of carrying it; `mesh dlq replay` reads it as operator.
 * Its subject is the consumer's filter, which names the message's subject exactly unless it has wildcards.
 */
export function watchMaxDeliveries(
  bus: Bus,
  consumer: { readonly stream: string; readonly durable: string; readonly filterSubject: string },
  agent: string,
  /** Stores the letter (the runtime passes it through its effect pipeline, like the consume loop's). */
  deadLetter: (letter: DeadLetter) => Promise<unknown>,
  onError: (err: unknown) => void,
): Subscription {
  const { stream, durable, filterSubject } = consumer;
  return rawBus(bus).nc.subscribe(subjects.maxDeliveriesAdvisory(stream, durable), {
    queue: `${durable}-advisories`,
    callback: (err, msg) => {
      if (err) return onError(err);
      void (async () => {
        const advisory = maxDeliveriesAdvisory.parse(msg.json());
        const flow = flowOf(filterSubject);
        await deadLetter({
          code: "E_MAX_DELIVERIES",
          reason: `no acknowledgement after ${advisory.deliveries} deliveries (the handler crashed or timed out each time)`,
          agent,
          flow: flow === "*" || flow === ">" ? "unknown" : flow,
          subject: filterSubject,
          stream: advisory.stream,
          streamSeq: advisory.stream_seq,
          attempts: advisory.deliveries,
          at: new Date().toISOString(),
          headers: {},
          body: { encoding: "in-stream" },
        });
      })().catch(onError);
    },
  });
}
