import { publicKeyOfSeed, signWithSeed } from "../signing/index.js";
import { CHECKPOINT, GENESIS, OPEN, checkpointInput, hashRecord, openingInput, type ChainedRecord } from "./statements.js";

export interface AuditChainOptions {
  /** One chain per agent instance; the verifier groups records by it. */
  instance: string;
  /** The agent the instance runs as: the name its signing key must be registered under. */
  agent: string;
  /** nkey user seed ("SU...") that signs the opening and the checkpoints; without it the chain is unsigned and fails verification. */
  signingSeed?: string;
  /** Records between signed checkpoints. */
  checkpointEvery?: number;
  /** Continue an existing chain (after reading its last record back) instead of opening a new one. */
  resume?: { seq: number; hash: string };
}

/**
 * Tamper-evident audit for one agent instance: seq 1 is an opening signed with the agent's identity key (who
 * writes this chain), every record links the previous record's hash, and every `checkpointEvery` records a
 * checkpoint signs the head, so rewriting history and recomputing the hashes still fails at the next checkpoint.
 * The chain trusts its entries: scrubbing PII is the caller's job (shared/runtime/audit-entry.ts).
 */
export class AuditChain {
  private seq: number;
  private last: string;
  private unsigned = 0;
  private readonly signer: string | undefined;

  constructor(private readonly opts: AuditChainOptions) {
    this.seq = opts.resume?.seq ?? 0;
    this.last = opts.resume?.hash ?? GENESIS;
    this.signer = opts.signingSeed ? publicKeyOfSeed(opts.signingSeed) : undefined;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.last };
  }

  /** Records appended since the last signature (opening or checkpoint): what a checkpoint now would anchor. */
  get pending(): number {
    return this.unsigned;
  }

  get signed(): boolean {
    return this.signer !== undefined;
  }

  /**
   * Chains one entry and returns the records to publish, in order: the opening before the first entry, the
   * entry's record, and a signed checkpoint when one is due.
   */
  append(entry: Readonly<Record<string, unknown>>, at: string = new Date().toISOString()): ChainedRecord[] {
    if (entry.kind === OPEN || entry.kind === CHECKPOINT) throw new TypeError(`AuditChain: an entry may not be of kind "${String(entry.kind)}"; the chain writes those`);
    const { instance: _i, seq: _s, prev: _p, hash: _h, agent: _a, ...body } = entry;
    const out: ChainedRecord[] = [];
    if (this.seq === 0 && this.signer) out.push(this.opening(at));
    out.push(this.link({ ...body, at }));
    this.unsigned++;
    if (this.signer && this.unsigned >= (this.opts.checkpointEvery ?? 100)) out.push(this.checkpoint(at));
    return out;
  }

  /** A signed checkpoint over the current head (when idle, and at shutdown). */
  checkpoint(at: string = new Date().toISOString()): ChainedRecord {
    if (!this.opts.signingSeed || !this.signer) throw new Error("AuditChain: no signingSeed, so no checkpoints");
    this.unsigned = 0;
    const { signature } = signWithSeed(this.opts.signingSeed, checkpointInput(this.opts.instance, this.seq, this.last));
    return this.link({ kind: CHECKPOINT, headSeq: this.seq, head: this.last, signer: this.signer, signature, at });
  }

  private opening(at: string): ChainedRecord {
    const signer = this.signer!;
    const { signature } = signWithSeed(this.opts.signingSeed!, openingInput({ instance: this.opts.instance, agent: this.opts.agent, signer, at }));
    return this.link({ kind: OPEN, signer, signature, at });
  }

  private link(body: Record<string, unknown>): ChainedRecord {
    const unhashed = { ...body, agent: this.opts.agent, instance: this.opts.instance, seq: this.seq + 1, prev: this.last };
    const record = { ...unhashed, hash: hashRecord(unhashed) };
    this.seq = record.seq;
    this.last = record.hash;
    return record;
  }
}
