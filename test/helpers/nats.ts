import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { startLocalNats, type LocalNats } from "../../cli/local-nats.js";
import { connectBus, type Bus } from "../../shared/bus/index.js";

export interface TestNats extends LocalNats {
  readonly dir: string;
  /** A connected bus with the topology declared; closed with the test. */
  connect(name?: string): Promise<Bus>;
}

/** A real nats-server with JetStream on a free loopback port and a temp store, stopped and removed by `t`. */
export async function startNats(t: TestContext, opts: { extraConfig?: string } = {}): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-nats-"));
  const nats = await startLocalNats({ dataDir: dir, logFile: join(dir, "nats.log"), ...opts });
  const buses: Bus[] = [];
  t.after(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    ...nats,
    dir,
    async connect(name = "test") {
      const bus = await connectBus({ servers: nats.url, name });
      buses.push(bus);
      return bus;
    },
  };
}

/**
 * Stops the server and starts it again on the same port with the same store, as an operator restart or a crash
 * would: clients reconnect by themselves. `during` runs while the server is down.
 */
export async function restartNats(t: TestContext, nats: TestNats, during: () => Promise<void> = async () => undefined): Promise<LocalNats> {
  await nats.stop();
  await during();
  const again = await startLocalNats({ dataDir: nats.dir, logFile: join(nats.dir, "nats.log"), port: nats.port });
  t.after(() => again.stop());
  return again;
}
