import { spawn } from "node:child_process";
import type { Operator } from "../operator.js";

export type FaultStep = "inject" | "repair";

/**
 * Runs one injection or repair of a chaos run as an operator effect: policy decides (`mesh.fault` on the endpoint
 * `chaos-inject` or `chaos-repair`) and the operator's audit chain records who did what to the mesh. The same door
 * for the sandbox's own faults and an operator's `--fault`/`--repair` commands.
 */
export type FaultAction = <T>(step: FaultStep, what: string, run: () => Promise<T>) => Promise<T>;

/**
 * A record the writer could not store at once (the injection stopped the broker) stays queued in the operator's audit
 * chain and is stored with the next record or when the operator closes: the fault goes on without waiting for it.
 */
export function auditedFaults(operator: Operator, scenario: string): FaultAction {
  return (step, what, run) =>
    operator.perform({
      action: "mesh.fault",
      principal: operator.principal,
      resource: { endpoint: `chaos-${step}` },
      facts: {},
      region: operator.region,
      auditDetail: { person: operator.person, command: "chaos", scenario, step, what },
      auditLater: (stored) => void stored.catch(() => undefined),
      run,
    });
}

/**
 * Runs an operator's fault or repair command (`kubectl delete pod -l app=invoice`) through the shell; resolves with
 * what it printed, rejects naming the command and its exit status with the end of its stderr.
 */
export function runShell(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`"${command}" exited with ${signal ?? `status ${code}`}${err.trim() ? `: ${err.trim().slice(-500)}` : ""}`));
    });
  });
}
