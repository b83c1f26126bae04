import { subjects, publish, type Bus } from "../bus/index.js";

/** One audit record: a policy decision or an effect, never the task's content in clear. */
export interface AuditEntry {
  readonly kind: "decision" | "effect";
  readonly action: string;
  readonly effect: "allow" | "deny" | "done";
  readonly reasons?: readonly string[];
  readonly revision?: number;
  readonly subject?: string;
  readonly taskId?: string;
  readonly flow?: string;
  readonly region: string;
  readonly traceId?: string;
  readonly detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  readonly agent: string;
  readonly instance: string;
  readonly seq: number;
  readonly at: string;
}

/**
 * Appends audit records for one agent instance to mesh.audit.<region>. Records are numbered per instance
 * so that a gap or a reordering shows; the Nats-Msg-Id makes a retried append idempotent.
 */
export class AuditWriter {
  private seq = 0;
  constructor(
    private readonly bus: Bus,
    private readonly agent: string,
    private readonly instance: string,
  ) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const record: AuditRecord = { ...entry, agent: this.agent, instance: this.instance, seq: ++this.seq, at: new Date().toISOString() };
    await publish(this.bus, subjects.audit(entry.region), record, {
      msgId: `audit:${this.instance}:${record.seq}`,
      headers: { "Mesh-Agent": this.agent },
    });
    return record;
  }
}
