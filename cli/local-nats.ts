import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, createConnection } from "node:net";
import { join } from "node:path";
import { MeshError } from "../shared/errors/index.js";

export interface LocalNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The generated config (owner-only: it names every identity and its permissions). */
  readonly configPath: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalNatsOptions {
  readonly port?: number;
  /** Holds JetStream data and the generated config. */
  readonly dataDir: string;
  /** Extra nats-server config text (authorization blocks, cluster...), appended as it is. */
  readonly extraConfig?: string;
  readonly logFile?: string;
}

const candidates = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

/** Finds nats-server, or says the one command that installs it. */
export function findNatsServer(): string {
  const onPath = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
  const found = onPath || candidates.find((c) => existsSync(c));
  if (!found) {
    throw new MeshError("E_CONFIG", "nats-server is not installed. Install it with: sudo apt-get install -y nats-server");
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts nats-server with JetStream on loopback; resolves once it accepts connections. */
export async function startLocalNats(opts: LocalNatsOptions): Promise<LocalNats> {
  const bin = findNatsServer();
  const port = opts.port ?? (await freePort());
  const storeDir = join(opts.dataDir, "jetstream");
  mkdirSync(storeDir, { recursive: true });
  const configPath = join(opts.dataDir, "nats.conf");
  writeFileSync(
    configPath,
    [
      `listen: "127.0.0.1:${port}"`,
      // Inbound events may exceed the 1 MB default; the ingest agent refuses what is over its own limit.
      `max_payload: 8MB`,
      `jetstream { store_dir: "${storeDir}" }`,
      opts.extraConfig ?? "",
    ].join("\n"),
    { mode: 0o600 },
  );
  // The mode above applies only when the file is new; one left by an older run keeps its mode otherwise.
  chmodSync(configPath, 0o600);
  // Its own process group: a Ctrl-C meant for the CLI must not stop the broker before the agents have drained into it.
  const child = spawn(bin, ["-c", configPath, ...(opts.logFile ? ["-l", opts.logFile] : [])], { stdio: "ignore", detached: true });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null) throw new MeshError("E_CONFIG", `nats-server exited with code ${child.exitCode}; see ${opts.logFile ?? configPath}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new MeshError("E_CONFIG", `nats-server did not listen on ${port} within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    configPath,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
