import { ConsumerDebugEvents, ConsumerEvents, Events, type ConsumerMessages, type NatsConnection } from "nats";

/**
 * Pull settings for `consume()`. nats.js defaults (30 s expiry, 15 s heartbeat) let a lost pull go unnoticed for
 * 30 s and, once noticed, retry the consumer lookup every 15–45 s (its backoff is the expiry, with jitter): a fit
 * for the 24–47 s stalls seen after a leader change. A pull is one small request and a heartbeat a few bytes, while
 * a stall holds every task, so we pay for a pull every 5 s and a heartbeat every 2 s: a lost pull is seen within
 * 4–6 s (two missed heartbeats, checked every 2 s) and the lookup is retried every 2.5–7.5 s until it answers.
 */
export const pullSettings = { expires: 5_000, idle_heartbeat: 2_000 } as const;

/** Why the pull is (not) live; `live` transitions are what readiness and the logs care about. */
export interface PullState {
  readonly live: boolean;
  readonly reason: string;
  readonly detail?: unknown;
}

export interface PullLiveness {
  /** True while a pull is outstanding on a reachable broker (or the loop is busy and not asking for more). */
  live(): boolean;
  /** Milliseconds since the pull last showed life, while it is not live; 0 while it is. */
  stalledMs(): number;
  /** A message arrived: the pull is live whatever was said before. */
  delivered(): void;
  stop(): void;
}

/**
 * Follows a consume() pull from its status events and the connection's. nats.js reports trouble (heartbeats
 * missed, consumer or stream not found, consumer deleted, no responders) but never says it recovered, so life
 * is a delivery or a new pull request (`next`): nats.js issues one after a reconnect or a missed heartbeat only
 * once CONSUMER.INFO has answered, and otherwise when a pull expires (every `expires`) or is mostly filled.
 * `busy()` says the loop holds as many tasks as it may run: it then leaves the next pull queued on purpose, so
 * the heartbeats that stop are flow control, not a stall.
 */
export function watchPull(nc: NatsConnection, messages: ConsumerMessages, busy: () => boolean, onChange: (s: PullState) => void): PullLiveness {
  let live = true;
  let reason = "started";
  let connected = !nc.isClosed();
  let lastLife = Date.now();
  let stopped = false;
  // Reported when the pull comes or goes, and when the reason it is down changes (deleted, then not found...).
  const set = (next: boolean, why: string, detail?: unknown) => {
    if (next) lastLife = Date.now();
    if (next === live && (next || why === reason)) return;
    live = next;
    reason = why;
    onChange({ live, reason, ...(detail === undefined ? {} : { detail }) });
  };

  void (async () => {
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === Events.Disconnect) {
        connected = false;
        set(false, "disconnected from the broker", s.data);
      } else if (s.type === Events.Reconnect) {
        // Not live yet: nats.js now checks the consumer and pulls again, which `next` reports.
        connected = true;
      }
    }
  })().catch(() => undefined);

  void (async () => {
    for await (const s of await messages.status()) {
      if (stopped) break;
      switch (s.type) {
        case ConsumerDebugEvents.Next:
          if (connected) set(true, "pulling", s.data);
          break;
        case ConsumerEvents.HeartbeatsMissed:
          // Once down, the misses repeat every heartbeat and add nothing to the reason already given.
          if (live && !busy()) set(false, "heartbeats missed: no pull outstanding on the broker", s.data);
          break;
        case ConsumerEvents.ConsumerNotFound:
        case ConsumerEvents.StreamNotFound:
        case ConsumerEvents.ConsumerDeleted:
        case ConsumerEvents.NoResponders:
          set(false, s.type, s.data);
          break;
        default:
        // discard (a pull expired unfilled), reset and debug statuses are routine.
      }
    }
  })().catch(() => undefined);

  return {
    live: () => live,
    stalledMs: () => (live ? 0 : Date.now() - lastLife),
    // A message buffered before a disconnect is no sign that the broker is back.
    delivered: () => {
      if (connected) set(true, "delivering");
    },
    stop: () => {
      stopped = true;
    },
  };
}
