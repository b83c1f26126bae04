import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MeshError } from "../shared/errors/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));

export interface AgentProcess {
  readonly name: string;
  readonly httpPort: number;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts one agent as its own process (the same command the container runs). */
export function spawnAgent(name: string, env: Record<string, string>, httpPort: number, logFile?: string): AgentProcess {
  const out = logFile ? openSync(logFile, "a") : "ignore";
  const child = spawn(process.execPath, ["--import", "tsx", "shared/runtime/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env, AGENT: name, HTTP_PORT: String(httpPort) },
    stdio: ["ignore", out, out],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { name, httpPort, child, exited };
}

/** Resolves when /readyz answers 200; fails early if the process exits. */
export async function waitReady(agent: AgentProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) {
      throw new MeshError("E_CONFIG", `agent ${agent.name} exited with code ${agent.child.exitCode} before it was ready`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${agent.httpPort}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new MeshError("E_CONFIG", `agent ${agent.name} was not ready within ${timeoutMs} ms`);
}
