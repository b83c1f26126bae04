import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";

/** What the broker connection did: the bus's status events narrowed to what an operator watches. */
export type ConnectionEvent = { readonly kind: "disconnected" } | { readonly kind: "reconnected" };

/**
 * Calls `on` for every disconnect and reconnect of the bus's broker connection, until the connection closes.
 * nats.js reports each reconnect attempt too; only the transitions matter to an operator.
 */
export function watchConnection(bus: Bus, on: (event: ConnectionEvent) => void): void {
  void (async () => {
    for await (const s of rawBus(bus).nc.status()) {
      if (s.type === "disconnect") on({ kind: "disconnected" });
      else if (s.type === "reconnect") on({ kind: "reconnected" });
    }
  })();
}
