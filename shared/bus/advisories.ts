import { z } from "zod";
import type { Subscription } from "nats";
import type { Bus } from "./connection.js";
import { buildDeadLetter, publishDeadLetter } from "./consume.js";
import type { BodyEncoder } from "./dead-letter.js";
import { headerRecord } from "./publish.js";
import { subjects } from "./subjects.js";

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
 */
export function watchMaxDeliveries(
  bus: Bus,
  stream: string,
  durable: string,
  agent: string,
  onError: (err: unknown) => void,
  encodeBody?: BodyEncoder,
): Subscription {
  return bus.nc.subscribe(subjects.maxDeliveriesAdvisory(stream, durable), {
    queue: `${durable}-advisories`,
    callback: (err, msg) => {
      if (err) return onError(err);
      void (async () => {
        const advisory = maxDeliveriesAdvisory.parse(msg.json());
        const stored = await bus.jsm.streams.getMessage(advisory.stream, { seq: advisory.stream_seq });
        const letter = buildDeadLetter(
          agent,
          {
            subject: stored.subject,
            data: stored.data,
            headers: headerRecord(stored.header),
            attempt: advisory.deliveries,
            stream: advisory.stream,
            streamSeq: advisory.stream_seq,
          },
          "E_MAX_DELIVERIES",
          `no acknowledgement after ${advisory.deliveries} deliveries (the handler crashed or timed out each time)`,
          {},
          encodeBody,
        );
        await publishDeadLetter(bus, letter);
      })().catch(onError);
    },
  });
}
