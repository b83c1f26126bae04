import { headers as natsHeaders, type MsgHdrs } from "nats";
import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";

export interface PublishOptions {
  /** Nats-Msg-Id: the server drops a second publish with the same id inside the duplicate window. */
  readonly msgId: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** How long to wait for the stream's ack (nats.js default otherwise); a caller with a deadline passes what is left. */
  readonly timeoutMs?: number;
}

export interface Published {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

const encoder = new TextEncoder();

export function toHeaders(values: Readonly<Record<string, string>> = {}): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(values)) h.set(k, v);
  return h;
}

/** Publishes JSON (or raw bytes) to a stream subject and resolves once JetStream has stored it. */
export async function publish(bus: Bus, subject: string, body: unknown, opts: PublishOptions): Promise<Published> {
  const data = body instanceof Uint8Array ? body : encoder.encode(JSON.stringify(body));
  const ack = await rawBus(bus).js.publish(subject, data, { msgID: opts.msgId, headers: toHeaders(opts.headers), ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) });
  return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
}

export function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of h) if (v[0] !== undefined) out[k] = v[0];
  return out;
}
