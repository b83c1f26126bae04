import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MeshError } from "../shared/errors/index.js";
import { compiledBuild } from "../shared/telemetry/build-info.js";

const root = fileURLToPath(new URL("../", import.meta.url));

/**
 * The command that runs one agent: the compiled runtime when this CLI is itself the build (so the two always
 * match), else the TypeScript entry through tsx (tests, and a checkout that was never built).
 */
export const agentCommand: readonly string[] = compiledBuild ? [join(import.meta.dirname, "agent.js")] : ["--import", "tsx", "shared/runtime/main.ts"];

export interface AgentProcess {
  readonly name: string;
  readonly httpPort: number;
  readonly child: ChildProcess;
  readonly logFile: string | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the agent's whole process group (it and anything it started). */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts one agent as its own process (the same command the container runs), in a process group of its own: a
 * Ctrl-C or a hang-up meant for the CLI does not reach it, so the CLI drains the agents in order instead of every
 * process dying at once. MESH_PARENT_PID makes the agent drain and exit if the CLI itself dies without stopping it.
 */
export function spawnAgent(name: string, env: Record<string, string>, httpPort: number, logFile?: string): AgentProcess {
  const out = logFile ? openSync(logFile, "a") : "ignore";
  const child = spawn(process.execPath, [...agentCommand], {
    cwd: root,
    env: { ...process.env, ...env, AGENT: name, HTTP_PORT: String(httpPort), MESH_PARENT_PID: String(process.pid) },
    stdio: ["ignore", out, out],
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  return { name, httpPort, child, logFile, exited, signal };
}

/** The lines of an agent's log that say why it stopped: error-level JSON lines and plain stderr text, last first kept. */
export function failureCause(logFile: string | undefined, maxLines = 8): string | undefined {
  if (!logFile || !existsSync(logFile)) return undefined;
  const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const telling = lines.filter((l) => {
    if (!l.startsWith("{")) return true;
    try {
      const { level, msg, err } = JSON.parse(l) as { level?: number | string; msg?: string; err?: unknown };
      return (typeof level === "number" ? level >= 50 : level === "error" || level === "fatal") || Boolean(err && msg);
    } catch {
      return true;
    }
  });
  const chosen = (telling.length ? telling : lines).slice(-maxLines);
  return chosen.length ? chosen.join("\n") : undefined;
}

/** Resolves when /readyz answers 200; fails early, with the cause from its log, if the process exits. */
export async function waitReady(agent: AgentProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const withCause = (message: string) => {
    const cause = failureCause(agent.logFile);
    return new MeshError("E_CONFIG", cause ? `${message}. From ${agent.logFile}:\n${cause}` : message);
  };
  while (Date.now() < deadline) {
    if (agent.child.exitCode !== null) throw withCause(`agent ${agent.name} exited with code ${agent.child.exitCode} before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${agent.httpPort}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw withCause(`agent ${agent.name} was not ready within ${timeoutMs} ms`);
}
