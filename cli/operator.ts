import { hostname, userInfo } from "node:os";
import { openBudgetStore, openRateLimitStore, publish, type Bus, type Published } from "../shared/bus/index.js";
import { AuditWriter } from "../shared/runtime/audit-writer.js";
import { createEffectPipeline, type Perform } from "../shared/runtime/effects/index.js";
import { PolicyGate } from "../shared/runtime/policy-gate.js";
import { createLogger, createMetrics } from "../shared/telemetry/index.js";
import { OPERATOR, defaultPolicyPath, loadPolicyFile, type Principal } from "../policy/index.js";
import { loadStoredPolicy } from "../policy/distribution/index.js";
import { connectCli, operatorSeed, type BrokerTarget } from "./connect.js";

/**
 * The `mesh` command as a principal: `operator` in the policy document, with the roles MESH_OPERATOR_ROLES names
 * (default `operator`) and the person in every audit record (MESH_OPERATOR_ID, else the login name). Its actions go
 * through the same effect pipeline as an agent's and are recorded in a chain of its own.
 */
export interface Operator {
  readonly bus: Bus;
  readonly perform: Perform;
  readonly principal: Principal;
  /** The person acting, recorded with every effect. */
  readonly person: string;
  /** Region of records about no task (MESH_REGION, default eu). */
  readonly region: string;
  /** The operator's identity seed, when it has one (it signs replayed review decisions and audit checkpoints). */
  readonly seed: string | undefined;
  /** The policy revision the agents enforce, to ask what it would require (no effect, nothing recorded). */
  readonly policy: Pick<PolicyGate, "decide">;
  /** A JetStream publish as an operator effect (event.emit on `subject`), idempotent by `msgId`; `detail` adds to its audit record. */
  publish(subject: string, body: unknown, msgId: string, headers?: Readonly<Record<string, string>>, detail?: Readonly<Record<string, unknown>>): Promise<Published>;
  close(): Promise<void>;
}

export async function connectOperator(name: string, target?: BrokerTarget): Promise<Operator> {
  const bus = await connectCli(name, target);
  const person = process.env.MESH_OPERATOR_ID || userInfo().username;
  const instance = `operator-${hostname()}-${process.pid}`;
  const region = process.env.MESH_REGION || "eu";
  const roles = (process.env.MESH_OPERATOR_ROLES || "operator").split(",").map((r) => r.trim()).filter(Boolean);
  const seed = target ? target.identity.auth.seed : operatorSeed();
  const metrics = createMetrics();
  const approvers = (process.env.MESH_POLICY_APPROVERS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  // The revision the agents enforce: the signed one in KV when approvers are configured, else the shipped file.
  const shipped = loadPolicyFile(process.env.POLICY_FILE ?? defaultPolicyPath);
  const stored = approvers.length ? await loadStoredPolicy(bus, approvers).catch(() => undefined) : undefined;
  const gate = new PolicyGate(stored && stored.revision > shipped.revision ? stored : shipped, metrics);
  const audit = new AuditWriter(bus, OPERATOR, instance, seed);
  const perform = createEffectPipeline({
    policy: gate,
    audit,
    rateLimits: await openRateLimitStore(bus, {}),
    budgets: await openBudgetStore(bus, {}),
    metrics,
    log: createLogger("operator", { level: "error" }),
    agent: OPERATOR,
  });
  const principal: Principal = { agent: OPERATOR, instance, roles };
  return {
    bus,
    perform,
    principal,
    person,
    region,
    seed,
    policy: gate,
    publish(subject, body, msgId, headers = {}, detail = {}) {
      return perform({
        action: "event.emit",
        principal,
        resource: { subject },
        facts: {},
        region,
        auditDetail: { person, command: name, ...detail },
        run: () => publish(bus, subject, body, { msgId, headers: { "Mesh-Agent": OPERATOR, ...headers } }),
        describe: (p) => ({ seq: p.seq, duplicate: p.duplicate }),
      });
    },
    async close() {
      // The operator's chain ends with a signed checkpoint, so its last actions are anchored too.
      await audit.close();
      await bus.close();
    },
  };
}
