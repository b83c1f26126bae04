import { batchPublisher, subjects, type Bus, type PublishBatch } from "../bus/index.js";
import { AuditChain, type ChainedRecord } from "../../policy/audit-chain/index.js";
import { TransientError } from "../errors/index.js";
import { auditBody, type AuditEntry } from "./audit-entry.js";

export type { AuditEntry } from "./audit-entry.js";

export interface AuditWriterOptions {
  /** Records between signed checkpoints. */
  readonly checkpointEvery?: number;
  /** With unsigned records pending and nothing appended for this long, a checkpoint anchors them. */
  readonly idleCheckpointMs?: number;
  /** How long one append keeps retrying a record's publish before the effect is given up as transient (task nak'd). */
  readonly publishDeadlineMs?: number;
  /** First retry delay; doubles per attempt up to 1 s. */
  readonly retryBaseMs?: number;
}

/** Even past the deadline a record gets one real attempt: a broker that is back answers well within this. */
const minAttemptMs = 200;
/**
 * One attempt's wait for the ack. A publish buffered while the connection was down can lose its reply across the
 * reconnect; a bounded wait turns that into a retry (same Nats-Msg-Id) instead of spending the whole deadline.
 */
const maxAttemptMs = 2000;

/** Records in flight at once: enough for every task of a busy agent, few enough to bound what a retry resends. */
const maxBatch = 256;

interface Outgoing {
  readonly subject: string;
  readonly record: ChainedRecord;
}

/**
 * Appends the audit records of one agent instance to mesh.audit.<region>.<task|mesh>.<agent>, hash-chained and
 * signed with the agent's identity (policy/audit-chain), so `mesh audit verify` can name any altered, missing or
 * reordered record and any record its signer does not vouch for.
 *
 * Records are published in batches, each batch everything queued, in seq order on one connection (the broker
 * stores them in that order); the next batch goes out once the previous one is acknowledged. A record whose
 * publish fails is retried with every record after it (same seq, same Nats-Msg-Id, so what the broker had in fact
 * stored is dropped as a duplicate), so no later record is counted stored before it. (A broker that refuses one
 * record of a batch yet stores a later one, as a cluster electing a stream leader can, holds the pair out of stream
 * order: the chain by seq stays whole, and `mesh audit verify` names the pair as reordered.) `append` resolves once
 * its records are stored, so the effect is acked only after its audit; past the deadline it throws a
 * TransientError (the task is nak'd) and the record stays first in line for the next append, the idle checkpoint
 * or `close`.
 */
export class AuditWriter {
  private readonly chain: AuditChain;
  private readonly queue: Outgoing[] = [];
  private stored = 0;
  /** Drains run one after another: a drain is the only code that publishes. */
  private lock: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  /** Where records about no task go: the region of the latest entry (checkpoints, and the opening). */
  private region: string | undefined;
  private closed = false;
  private readonly publishBatch: PublishBatch;

  constructor(
    bus: Bus,
    private readonly agent: string,
    private readonly instance: string,
    signingSeed?: string,
    private readonly opts: AuditWriterOptions = {},
  ) {
    this.publishBatch = batchPublisher(bus);
    this.chain = new AuditChain({ instance, agent, ...(signingSeed ? { signingSeed } : {}), checkpointEvery: opts.checkpointEvery ?? 100 });
  }

  async append(entry: AuditEntry): Promise<void> {
    if (this.closed) throw new TransientError("E_AUDIT_UNAVAILABLE", `audit writer of ${this.instance} is closed (the agent is stopping)`);
    this.region = entry.region;
    const taskSubject = subjects.audit(entry.region, entry.taskId, this.agent);
    const meshSubject = subjects.audit(entry.region, undefined, this.agent);
    const records = this.chain.append(auditBody(entry));
    // The opening and checkpoints belong to no task: they sit on the mesh subject, where a reader of any task finds them.
    for (const record of records) this.queue.push({ subject: record.kind === "open" || record.kind === "checkpoint" ? meshSubject : taskSubject, record });
    await this.drainThrough(records[records.length - 1]!.seq);
    this.armIdleCheckpoint();
  }

  /**
   * Anchors what is pending with a checkpoint and waits (up to the publish deadline) until every record is stored;
   * the runtime calls it at stop. It never throws, since shutdown must go on: it returns how many records it could
   * not store. Those are the instance's last records, so the stored chain simply ends earlier (no gap); effects whose
   * audit failed were nak'd and are audited again by whichever instance redoes them.
   */
  async close(): Promise<{ unstored: number }> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.idle);
      this.checkpointPending();
      await this.drainThrough(this.chain.head.seq).catch(() => undefined);
    }
    return { unstored: this.queue.length };
  }

  private checkpointPending(): void {
    if (!this.chain.signed || this.chain.pending === 0 || !this.region) return;
    this.queue.push({ subject: subjects.audit(this.region, undefined, this.agent), record: this.chain.checkpoint() });
  }

  private armIdleCheckpoint(): void {
    if (!this.chain.signed || this.closed) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.closed) return;
      this.checkpointPending();
      // Nobody awaits this one; a failure leaves the checkpoint queued for the next append or close.
      this.drainThrough(this.chain.head.seq).catch(() => this.armIdleCheckpoint());
    }, this.opts.idleCheckpointMs ?? 1000);
    this.idle.unref();
  }

  private drainThrough(seq: number): Promise<void> {
    const deadline = Date.now() + (this.opts.publishDeadlineMs ?? 10_000);
    const run = this.lock.then(() => this.drain(seq, deadline));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async drain(seq: number, deadline: number): Promise<void> {
    let delay = this.opts.retryBaseMs ?? 50;
    while (this.stored < seq) {
      // Everything queued goes out at once, in seq order on the one connection, which the broker stores in that
      // order: one round trip per batch instead of one per record, whatever the number of tasks in flight.
      const batch = this.queue.slice(0, maxBatch);
      const timeoutMs = Math.min(maxAttemptMs, Math.max(minAttemptMs, deadline - Date.now()));
      const results = await this.publishBatch(
        batch.map((next) => ({ subject: next.subject, body: next.record, msgId: `audit:${this.instance}:${next.record.seq}`, headers: { "Mesh-Agent": this.agent } })),
        timeoutMs,
      );
      // Stored is the leading run of acks. A record after a failed one is published again with it, and its
      // Nats-Msg-Id makes the broker drop the copy it already holds.
      const firstFailed = results.findIndex((r) => r.status === "rejected");
      const through = firstFailed === -1 ? batch.length : firstFailed;
      if (through > 0) {
        this.queue.splice(0, through);
        this.stored = batch[through - 1]!.record.seq;
      }
      if (firstFailed === -1) continue;
      const failed = batch[firstFailed]!;
      if (Date.now() + delay > deadline) {
        const err = (results[firstFailed] as PromiseRejectedResult).reason as Error;
        throw new TransientError("E_AUDIT_UNAVAILABLE", `audit record seq ${failed.record.seq} of ${this.instance} not stored: ${err.message}`, { seq: failed.record.seq });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
