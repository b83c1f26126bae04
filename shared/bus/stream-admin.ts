import { headerRecord } from "./publish.js";
import { rawBus } from "./raw-bus.js";
import { isNotFound } from "./topology.js";
import type { Bus } from "./connection.js";
import type { StoredMessage } from "./read-stream.js";

/** One stored message by its stream sequence, with its exact subject; undefined when the stream holds none there. */
export async function storedMessage(bus: Bus, stream: string, seq: number): Promise<StoredMessage | undefined> {
  try {
    const m = await rawBus(bus).jsm.streams.getMessage(stream, { seq });
    return { subject: m.subject, seq: m.seq, data: m.data, headers: headerRecord(m.header), time: m.time };
  } catch (err) {
    if (isNotFound(err) || /no message found/i.test(String((err as Error)?.message))) return undefined;
    throw err;
  }
}

/** Removes one stored message (a replayed dead letter); false when it was already gone. */
export async function deleteStoredMessage(bus: Bus, stream: string, seq: number): Promise<boolean> {
  try {
    return await rawBus(bus).jsm.streams.deleteMessage(stream, seq);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** A stream's settings and state; `timeoutMs` bounds the request (an election in progress answers slowly). */
export async function streamInfo(bus: Bus, stream: string, opts: { timeoutMs?: number } = {}) {
  const jsm = opts.timeoutMs ? await rawBus(bus).nc.jetstreamManager({ timeout: opts.timeoutMs }) : rawBus(bus).jsm;
  return jsm.streams.info(stream);
}

/** One durable consumer's settings and state (pending, unacknowledged); a missing one rejects as isNotFound says. */
export function consumerInfo(bus: Bus, stream: string, durable: string) {
  return rawBus(bus).jsm.consumers.info(stream, durable);
}

/** Every consumer of a stream with its state. */
export function consumerInfos(bus: Bus, stream: string) {
  return rawBus(bus).jsm.consumers.list(stream).next();
}
