/**
 * Start-up of each agent as the image and a built `mesh up` run it: `node dist/agent.js` (scripts/build.mjs), not
 * the TypeScript sources through tsx that a bench run from source starts. Each is started beside the running mesh as
 * one more replica, with the environment `mesh up` gave that agent (its identity, broker, keys, policy), and measured
 * when its /readyz first answers 200 (so a model-using agent has loaded its models) and again once it has sat idle.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../../cli/local-nats.js";
import type { AgentProcess } from "../../cli/agent-process.js";
import { processUsage, type ProcessUsage } from "./process-usage.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface DistStartup {
  readonly atReady: ProcessUsage;
  /** RSS after `idleMs` with no work (the heap settles: what the process holds while it waits for tasks). */
  readonly idleRssMiB: number;
}

/** The environment a running process was started with (Linux /proc), as `mesh up` handed it to the agent. */
function environmentOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

async function readyz(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** Builds dist/ when a source is newer than it (scripts/build.mjs decides), then starts and measures each agent in turn. */
export async function distStartup(agents: readonly AgentProcess[], idleMs = 2000, timeoutMs = 60_000): Promise<Record<string, DistStartup>> {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`scripts/build.mjs failed: ${build.stderr || build.stdout}`);
  const out: Record<string, DistStartup> = {};
  for (const agent of agents) {
    const port = await freePort();
    // Its own instance name (the default, host and pid), so its audit chain is its own.
    const { MESH_INSTANCE: _instance, ...inherited } = environmentOf(agent.child.pid!);
    const env = { ...inherited, HTTP_PORT: String(port), MESH_PARENT_PID: String(process.pid) };
    const child = spawn(process.execPath, ["dist/agent.js"], { cwd: root, env, stdio: "ignore" });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const deadline = Date.now() + timeoutMs;
      // Polled, since readiness has no event to wait on; each poll is a cheap local GET.
      while (!(await readyz(port))) {
        if (child.exitCode !== null) throw new Error(`dist/agent.js (${agent.name}) exited with ${child.exitCode} before it was ready`);
        if (Date.now() > deadline) throw new Error(`dist/agent.js (${agent.name}) not ready within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const atReady = processUsage(child.pid!);
      await new Promise((r) => setTimeout(r, idleMs));
      out[agent.name] = { atReady, idleRssMiB: processUsage(child.pid!).rssMiB };
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }
  return out;
}
