import { subjects, publish, type Bus } from "../bus/index.js";
import { AuditChain } from "../../policy/audit-chain/index.js";

/** One audit record: a policy decision or an effect, never the task's content in clear. */
export interface AuditEntry {
  readonly kind: "decision" | "effect" | "policy";
  readonly action: string;
  readonly effect: "allow" | "deny" | "done" | "rejected";
  /** For decisions: whether the effect then ran, was refused, or failed after it was allowed. */
  readonly outcome?: "done" | "refused" | "failed";
  /** For decisions: digest of the policy document that decided. */
  readonly policyDigest?: string;
  readonly reasons?: readonly string[];
  readonly revision?: number;
  readonly subject?: string;
  readonly taskId?: string;
  readonly flow?: string;
  readonly region: string;
  readonly traceId?: string;
  readonly detail?: Record<string, unknown>;
  /** For decisions: what was asked, so a candidate policy can be replayed against it. */
  readonly request?: { readonly resource: unknown; readonly context?: unknown };
  /** Roles of the human behind the decision, if any. */
  readonly roles?: readonly string[];
}

/**
 * Appends the audit records of one agent instance to mesh.audit.<region>.<task>, hash-chained per instance (with
 * signed checkpoints when a signing seed is configured) so `mesh audit verify` can name any altered, missing
 * or reordered record. Records are published in chain order on one connection, which JetStream keeps;
 * the Nats-Msg-Id makes a retried append idempotent.
 */
export class AuditWriter {
  private readonly chain: AuditChain;
  constructor(
    private readonly bus: Bus,
    private readonly agent: string,
    private readonly instance: string,
    signingSeed?: string,
  ) {
    this.chain = new AuditChain({ instance, ...(signingSeed ? { signingSeed } : {}), checkpointEvery: 100 });
  }

  async append(entry: AuditEntry): Promise<void> {
    const records = this.chain.append({ ...entry, agent: this.agent, at: new Date().toISOString() });
    await Promise.all(
      records.map((record) =>
        publish(this.bus, subjects.audit(entry.region, entry.taskId, this.agent), record, {
          msgId: `audit:${this.instance}:${record.seq}`,
          headers: { "Mesh-Agent": this.agent },
        }),
      ),
    );
  }
}
