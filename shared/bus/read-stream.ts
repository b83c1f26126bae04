import { AckPolicy, DeliverPolicy, type JsMsg } from "nats";
import type { Bus } from "./connection.js";
import { headerRecord } from "./publish.js";
import { rawBus } from "./raw-bus.js";

export interface StoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly time: Date;
}

/**
 * Reads what a stream holds now (optionally one subject filter) with an ordered consumer, which leaves no
 * state on the server. Used by the CLI (tail, dlq, audit) and by tests to count outcomes.
 */
export async function readStream(
  bus: Bus,
  stream: string,
  opts: {
    filterSubject?: string;
    fromSeq?: number;
    /** Only messages the broker stored at or after this time (ignored when fromSeq is given). */
    since?: Date;
    limit?: number;
    /**
     * Delete the consumer when done (default). An agent identity may not delete consumers (it could delete
     * another's), so agents leave theirs to the server, which removes it after the inactivity threshold.
     */
    deleteWhenDone?: boolean;
  } = {},
): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  // An ephemeral consumer with a single filter_subject: ordered consumers send filter_subjects, which needs
  // nats-server 2.10, and this mesh runs on 2.9.
  const ci = await rawBus(bus).jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    ...(opts.filterSubject ? { filter_subject: opts.filterSubject } : {}),
    ...(opts.fromSeq
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: opts.fromSeq }
      : opts.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: opts.since.toISOString() }
        : { deliver_policy: DeliverPolicy.All }),
    // A consumer the reader cannot delete lingers until this threshold: short, so a busy status service leaves
    // few behind. Every fetch counts as activity, so a long read is not cut off.
    inactive_threshold: opts.deleteWhenDone === false ? 5_000_000_000 : 30_000_000_000,
  });
  try {
    const consumer = await rawBus(bus).js.consumers.get(stream, ci.name);
    const pendingAtStart = ci.num_pending;
    const limit = Math.min(opts.limit ?? Number.POSITIVE_INFINITY, pendingAtStart);
    while (out.length < limit) {
      const batch = await consumer.fetch({ max_messages: Math.min(1000, limit - out.length), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        out.push(toStored(m));
      }
      if (got === 0) break;
    }
  } finally {
    if (opts.deleteWhenDone !== false) await rawBus(bus).jsm.consumers.delete(stream, ci.name).catch(() => undefined);
  }
  return out;
}

function toStored(m: JsMsg): StoredMessage {
  return {
    subject: m.subject,
    seq: m.info.streamSequence,
    data: m.data,
    headers: headerRecord(m.headers),
    time: new Date(Math.floor(m.info.timestampNanos / 1e6)),
  };
}

/** Follows a subject live (core NATS, nothing stored): for `mesh tail`. */
export function follow(bus: Bus, subject: string, onMessage: (m: { subject: string; data: Uint8Array; headers: Record<string, string> }) => void) {
  return rawBus(bus).nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) onMessage({ subject: msg.subject, data: msg.data, headers: headerRecord(msg.headers) });
    },
  });
}
