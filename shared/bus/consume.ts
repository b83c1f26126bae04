import type { JsMsg } from "nats";
import { MeshError, isTransient } from "../errors/index.js";
import type { Bus } from "./connection.js";
import { deadLetterMsgId, encodeBody, type BodyEncoder, type DeadLetter } from "./dead-letter.js";
import { headerRecord, publish } from "./publish.js";
import { pullSettings, watchPull, type PullState } from "./pull-liveness.js";
import { flowOf, subjects } from "./subjects.js";
import { isBrokerUnavailable } from "./broker-unavailable.js";
import { rawBus } from "./raw-bus.js";

export interface Delivery {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on first delivery. */
  readonly attempt: number;
  readonly stream: string;
  readonly streamSeq: number;
}

export type DeliveryOutcome =
  | { kind: "acked" }
  | { kind: "retried"; error: unknown; delayMs: number }
  | { kind: "dead_lettered"; letter: DeadLetter };

export interface ConsumeLoopOptions {
  readonly stream: string;
  readonly durable: string;
  readonly agent: string;
  readonly concurrency: number;
  /** Attempts for failures that are not known to be transient (bugs, unexpected errors). */
  readonly maxDeliver: number;
  /**
   * Attempts for transient failures (dependency down, breaker open): the task parks in JetStream with backoff
   * this many times before it is dead-lettered. Also the server-side max_deliver, which ends crash loops.
   */
  readonly maxParkedDeliveries: number;
  readonly ackWaitMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  handle(delivery: Delivery): Promise<void>;
  /** Stores a dead letter (the runtime passes it through its effect pipeline); the message is termed only after. */
  deadLetter(letter: DeadLetter): Promise<unknown>;
  /** How the dead letter holds the message's body (default: as it came). */
  readonly encodeBody?: BodyEncoder;
  /** What to record in the dead letter besides the message itself (envelope id, source ref, trace). */
  describe?(delivery: Delivery): LetterDescription;
  onOutcome?(delivery: Delivery, outcome: DeliveryOutcome, durationMs: number): void;
  onError?(err: unknown, where: string): void;
  /** The pull stopped or resumed (heartbeats missed, consumer missing, broker away; deliveries again). */
  onPullState?(state: PullState): void;
}

export type LetterDescription = Partial<Pick<DeadLetter, "envelopeId" | "source" | "traceparent">>;

export interface ConsumeLoop {
  /** Stops pulling, lets in-flight handlers finish (nak what is left after graceMs), then resolves. */
  stop(graceMs?: number): Promise<void>;
  readonly inFlight: () => number;
  /** False while no pull is live on the broker (readiness follows it). */
  readonly pulling: () => boolean;
  /** Milliseconds since the pull last showed life while it is not live; 0 while it is. */
  readonly stalledMs: () => number;
  /** Work this loop knows of: tasks in flight plus what the broker said was still pending at the last delivery. */
  readonly knownBacklog: () => number;
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export async function startConsumeLoop(bus: Bus, opts: ConsumeLoopOptions): Promise<ConsumeLoop> {
  const consumer = await rawBus(bus).js.consumers.get(opts.stream, opts.durable);
  // Pull no more than we can run: anything else waits in JetStream, not in this process.
  const messages = await consumer.consume({ max_messages: opts.concurrency, ...pullSettings });
  const running = new Set<Promise<void>>();
  const pull = watchPull(rawBus(bus).nc, messages, () => running.size >= opts.concurrency, (s) => opts.onPullState?.(s));
  const live = new Set<JsMsg>();
  let stopping = false;
  let pendingAtLastDelivery = 0;
  let slotFree: (() => void) | undefined;

  const settle = async (m: JsMsg): Promise<void> => {
    const delivery: Delivery = {
      subject: m.subject,
      data: m.data,
      headers: headerRecord(m.headers),
      attempt: m.info.deliveryCount,
      stream: m.info.stream,
      streamSeq: m.info.streamSequence,
    };
    const started = performance.now();
    const heartbeat = setInterval(() => m.working(), Math.max(100, Math.floor(opts.ackWaitMs / 3)));
    let outcome: DeliveryOutcome;
    try {
      await opts.handle(delivery);
      // A plain ack: when it is lost the task comes back after ack_wait, and every effect it repeats carries the
      // Nats-Msg-Id (and ingest's mesh_seen mark) that turns it into a duplicate. Waiting for the broker to confirm
      // the ack would cost a round trip per task and guarantee nothing more.
      m.ack();
      outcome = { kind: "acked" };
    } catch (err) {
      outcome = await fail(m, delivery, err);
    } finally {
      clearInterval(heartbeat);
      live.delete(m);
    }
    opts.onOutcome?.(delivery, outcome, performance.now() - started);
  };

  const fail = async (m: JsMsg, delivery: Delivery, err: unknown): Promise<DeliveryOutcome> => {
    // Transient failures park the task (a dependency is down, the broker included: waiting is right); unknown errors (a bug, a dropped
    // connection) are retried a few times; permanent ones (bad input, policy) are dead-lettered at once.
    const transient = isTransient(err) || isBrokerUnavailable(err);
    const retryable = transient || !(err instanceof MeshError);
    const limit = transient ? opts.maxParkedDeliveries : opts.maxDeliver;
    const lastAttempt = delivery.attempt >= limit;
    if (retryable && !lastAttempt) {
      const hinted = err instanceof MeshError && typeof err.details.retryInMs === "number" ? err.details.retryInMs : 0;
      const delayMs = Math.max(hinted, backoffDelay(delivery.attempt, opts.backoffBaseMs, opts.backoffMaxMs));
      m.nak(delayMs);
      return { kind: "retried", error: err, delayMs };
    }
    const message = err instanceof Error ? err.message : String(err);
    const letter = retryable
      ? buildDeadLetter(opts.agent, delivery, "E_MAX_DELIVERIES", `gave up after ${delivery.attempt} attempts: ${message}`, opts.describe?.(delivery), opts.encodeBody)
      : buildDeadLetter(opts.agent, delivery, (err as MeshError).code, message, opts.describe?.(delivery), opts.encodeBody);
    try {
      await opts.deadLetter(letter);
      m.term();
      return { kind: "dead_lettered", letter };
    } catch (dlqErr) {
      // The dead letter could not be stored: keep the message rather than lose it.
      opts.onError?.(dlqErr, "dead-letter publish");
      const delayMs = backoffDelay(delivery.attempt, opts.backoffBaseMs, opts.backoffMaxMs);
      m.nak(delayMs);
      return { kind: "retried", error: dlqErr, delayMs };
    }
  };

  const loop = (async () => {
    for await (const m of messages) {
      pull.delivered();
      pendingAtLastDelivery = m.info.pending;
      if (stopping) {
        m.nak();
        continue;
      }
      while (running.size >= opts.concurrency) await new Promise<void>((r) => (slotFree = r));
      live.add(m);
      const p: Promise<void> = settle(m)
        .catch((err) => opts.onError?.(err, "settle"))
        .finally(() => {
          running.delete(p);
          slotFree?.();
        });
      running.add(p);
    }
  })().catch((err) => opts.onError?.(err, "consume loop"));

  return {
    inFlight: () => running.size,
    pulling: () => pull.live(),
    stalledMs: () => pull.stalledMs(),
    knownBacklog: () => running.size + pendingAtLastDelivery,
    async stop(graceMs = 10_000) {
      stopping = true;
      pull.stop();
      messages.stop();
      const drained = Promise.allSettled([...running]);
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
      if (timedOut) for (const m of live) m.nak();
      await loop;
    },
  };
}

export function buildDeadLetter(
  agent: string,
  d: Delivery,
  code: string,
  reason: string,
  extra: LetterDescription = {},
  encode: BodyEncoder = (m) => encodeBody(m.data),
): DeadLetter {
  return {
    code,
    reason,
    agent,
    flow: flowOf(d.subject),
    subject: d.subject,
    stream: d.stream,
    streamSeq: d.streamSeq,
    attempts: d.attempt,
    at: new Date().toISOString(),
    headers: { ...d.headers },
    body: encode(d),
    ...extra,
  };
}

/** Where a dead letter goes: its flow's DLQ subject (a malformed subject still dead-letters somewhere). */
export function deadLetterSubject(letter: DeadLetter): string {
  return subjects.dlq(safeFlow(letter.flow));
}

export async function publishDeadLetter(bus: Bus, letter: DeadLetter): Promise<void> {
  const traceparent = letter.traceparent ?? letter.headers.traceparent;
  await publish(bus, deadLetterSubject(letter), letter, {
    msgId: deadLetterMsgId(letter.stream, letter.streamSeq),
    headers: { "Mesh-Error-Code": letter.code, ...(traceparent ? { traceparent } : {}) },
  });
}

/** A malformed subject must still dead-letter somewhere. */
function safeFlow(flow: string): string {
  return /^[A-Za-z0-9_-]+$/.test(flow) ? flow : "unknown";
}
