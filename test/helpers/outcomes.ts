import type { ConsumerInfo } from "nats";
import { readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { waitFor } from "./wait.js";
import { rawBus } from "../../shared/bus/raw-bus.js";

export interface Outcomes {
  /** envelope id → how many outcome messages (results + review requests) the streams hold for it. */
  readonly counts: Map<string, number>;
  readonly completed: number;
  readonly escalated: number;
  readonly total: number;
}

const decoder = new TextDecoder();

/** Counts what the result and review streams hold for a flow: the ground truth of "exactly once". */
export async function outcomes(bus: Bus, flow: string): Promise<Outcomes> {
  const results = await readStream(bus, streamNames.result, { filterSubject: subjects.result(flow) });
  const reviews = await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested(flow) });
  const counts = new Map<string, number>();
  for (const m of [...results, ...reviews]) {
    const id = (JSON.parse(decoder.decode(m.data)) as { envelopeId: string }).envelopeId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return { counts, completed: results.length, escalated: reviews.length, total: results.length + reviews.length };
}

export async function streamCount(bus: Bus, stream: string, filterSubject?: string): Promise<number> {
  if (!filterSubject) return (await rawBus(bus).jsm.streams.info(stream)).state.messages;
  return (await readStream(bus, stream, { filterSubject })).length;
}

/**
 * Waits until a durable consumer has nothing pending and nothing unacknowledged: every delivery has settled, so no
 * redelivery can still add an outcome. Resolves with its info (a missing consumer counts as not settled).
 */
export async function consumerSettled(bus: Bus, stream: string, durable: string, timeoutMs = 60_000): Promise<ConsumerInfo> {
  return waitFor(`${durable} on ${stream} to settle`, async () => {
    const info = await rawBus(bus).jsm.consumers.info(stream, durable).catch(() => undefined);
    return info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0 && info;
  }, { timeoutMs });
}
