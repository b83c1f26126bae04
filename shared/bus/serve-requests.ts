import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";

export interface Request {
  readonly subject: string;
  readonly data: Uint8Array;
}

/**
 * Answers requests on `subject` (wildcards allowed) in queue group `queue`, so an agent's replicas share them. The
 * handler gets `respond`: the caller runs it inside an effect, so the answer is decided and audited like any other.
 */
export function serveRequests(bus: Bus, subject: string, queue: string, handler: (req: Request, respond: (data: Uint8Array) => void) => Promise<void>): { stop(): void } {
  const sub = rawBus(bus).nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) return;
      void handler({ subject: msg.subject, data: msg.data }, (data) => void msg.respond(data));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
