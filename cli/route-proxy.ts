import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay in front of one nats-server route port that can cut the link: `cut()` drops every relayed connection
 * and refuses new ones until `heal()`. Portable where network namespaces are not (no root, macOS, CI containers).
 */
export interface RouteProxy {
  readonly port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startRouteProxy(target: { host?: string; port: number }): Promise<RouteProxy> {
  const open = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((inbound) => {
    if (cut) return void inbound.destroy();
    const outbound = createConnection({ host: target.host ?? "127.0.0.1", port: target.port });
    for (const s of [inbound, outbound]) {
      open.add(s);
      // A reset on one side ends the other: a route is one duplex link, half of it is no link.
      s.on("error", () => undefined);
      s.on("close", () => {
        open.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      cut = true;
      for (const s of open) s.destroy();
    },
    heal() {
      cut = false;
    },
    async close() {
      cut = true;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
