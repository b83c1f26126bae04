/**
 * What the broker itself counts, from its monitoring endpoint: messages in and out of every client (/varz), and
 * each stream's last sequence and stored bytes (/jsz). A difference of two snapshots around a run, divided by the
 * tasks it carried, is that run's cost per task as the broker saw it, whoever published.
 */
import { z } from "zod";

const varzSchema = z.object({ in_msgs: z.number(), out_msgs: z.number(), in_bytes: z.number(), out_bytes: z.number() });
const jszSchema = z.object({
  account_details: z
    .array(z.object({ stream_detail: z.array(z.object({ name: z.string(), state: z.object({ last_seq: z.number(), bytes: z.number() }) })).optional() }))
    .optional(),
});

export interface BrokerSnapshot {
  readonly inMsgs: number;
  readonly outMsgs: number;
  /** Stream name → publishes stored so far (last sequence) and bytes held now. */
  readonly streams: ReadonlyMap<string, { readonly lastSeq: number; readonly bytes: number }>;
}

export interface PerTask {
  /** NATS messages the broker received from clients per task (publishes, requests, acks, pulls). */
  readonly natsInMsgs: number;
  /** Messages the broker delivered to clients per task. */
  readonly natsOutMsgs: number;
  /** Messages stored in JetStream per task (every stream and KV bucket), and the streams that stored them. */
  readonly jsPublishes: number;
  readonly jsPublishesByStream: Readonly<Record<string, number>>;
  /** Bytes still stored per task once the run is over (a work queue's acked messages are gone). */
  readonly bytesStored: number;
}

async function getJson<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const parsed = schema.safeParse(await res.json());
  if (!parsed.success) throw new Error(`${url}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/**
 * One snapshot over every node of the broker: messages summed (on a cluster that counts what the nodes route to
 * each other too), each stream as its most advanced replica holds it (every replica stores every message).
 */
export async function brokerSnapshot(monitorPorts: readonly number[]): Promise<BrokerSnapshot> {
  const nodes = await Promise.all(
    monitorPorts.map((port) => {
      const base = `http://127.0.0.1:${port}`;
      return Promise.all([getJson(`${base}/varz`, varzSchema), getJson(`${base}/jsz?accounts=true&streams=true`, jszSchema)]);
    }),
  );
  const streams = new Map<string, { lastSeq: number; bytes: number }>();
  let inMsgs = 0;
  let outMsgs = 0;
  for (const [varz, jsz] of nodes) {
    inMsgs += varz.in_msgs;
    outMsgs += varz.out_msgs;
    for (const account of jsz.account_details ?? [])
      for (const s of account.stream_detail ?? []) {
        const seen = streams.get(s.name);
        if (!seen || s.state.last_seq > seen.lastSeq) streams.set(s.name, { lastSeq: s.state.last_seq, bytes: s.state.bytes });
      }
  }
  return { inMsgs, outMsgs, streams };
}

export function perTask(before: BrokerSnapshot, after: BrokerSnapshot, tasks: number): PerTask {
  const byStream: Record<string, number> = {};
  let publishes = 0;
  let bytes = 0;
  for (const [name, now] of after.streams) {
    const was = before.streams.get(name) ?? { lastSeq: 0, bytes: 0 };
    const stored = now.lastSeq - was.lastSeq;
    if (stored > 0) byStream[name] = stored / tasks;
    publishes += stored;
    bytes += now.bytes - was.bytes;
  }
  return {
    natsInMsgs: (after.inMsgs - before.inMsgs) / tasks,
    natsOutMsgs: (after.outMsgs - before.outMsgs) / tasks,
    jsPublishes: publishes / tasks,
    jsPublishesByStream: byStream,
    bytesStored: bytes / tasks,
  };
}
