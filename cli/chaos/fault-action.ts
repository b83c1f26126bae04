import { spawn } from "node:child_process";
import { z } from "zod";
import { readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { OPERATOR } from "../../policy/index.js";
import type { Operator } from "../operator.js";
import { storedJson } from "./stored-json.js";

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

const faultRecord = z.object({
  instance: z.string(),
  action: z.literal("mesh.fault"),
  outcome: z.string(),
  detail: z.object({ step: z.enum(["inject", "repair"]), what: z.string() }),
});

export type AuditedFault = { readonly step: FaultStep; readonly what: string; readonly outcome: string };

/**
 * The injections and repairs of this run as the operator's audit chain holds them (read back from the audit stream,
 * this operator instance's records since `since`): the report shows what the auditor will find.
 */
export async function auditedFaultsOf(operator: Operator, since: Date): Promise<AuditedFault[]> {
  const records = await readStream(operator.bus, streamNames.audit, { filterSubject: subjects.auditOf(OPERATOR), since });
  return records.flatMap((m) => {
    const r = faultRecord.safeParse(storedJson(m.data));
    return r.success && r.data.instance === operator.principal.instance ? [{ step: r.data.detail.step, what: r.data.detail.what, outcome: r.data.outcome }] : [];
  });
}
