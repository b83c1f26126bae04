import { canonicalJson, sha256Hex } from "../../shared/envelope/canonical.js";
import { scrubValue } from "../pii/index.js";
import { publicKeyOfSeed, signWithSeed, verifyWithPublicKey } from "../signing/index.js";

/**
 * Tamper-evident audit: each agent instance numbers its records (seq), links each to the previous
 * record's hash (prev), and hashes the canonical JSON of the record (hash). Every `checkpointEvery`
 * records it appends a checkpoint signed with its nkey over (instance, headSeq, head), so rewriting a
 * stretch of history and recomputing the hashes still fails at the next checkpoint.
 */

export const GENESIS = "0".repeat(64);

export interface ChainFields {
  readonly instance: string;
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}
export type ChainedRecord = Readonly<Record<string, unknown>> & ChainFields;

export interface AuditChainOptions {
  /** One chain per agent instance; the verifier groups records by it. */
  instance: string;
  /** nkey seed ("SU...") that signs checkpoints; without it no checkpoints are written. */
  signingSeed?: string;
  checkpointEvery?: number;
  /** Continue an existing chain (after reading its last record back) instead of starting at genesis. */
  resume?: { seq: number; hash: string };
}

export function hashRecord(record: Readonly<Record<string, unknown>>): string {
  const { hash: _ignored, ...body } = record;
  return sha256Hex(canonicalJson(body));
}

function checkpointInput(instance: string, headSeq: number, head: string): string {
  return canonicalJson({ instance, headSeq, head });
}

export class AuditChain {
  private seq: number;
  private last: string;
  private sinceCheckpoint = 0;
  private readonly signer: string | undefined;

  constructor(private readonly opts: AuditChainOptions) {
    this.seq = opts.resume?.seq ?? 0;
    this.last = opts.resume?.hash ?? GENESIS;
    this.signer = opts.signingSeed ? publicKeyOfSeed(opts.signingSeed) : undefined;
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.last };
  }

  /**
   * Scrubs PII from the entry, chains it, and returns the records to publish in order: the entry's
   * record, followed by a signed checkpoint when one is due.
   */
  append(entry: Readonly<Record<string, unknown>>): ChainedRecord[] {
    const { instance: _i, seq: _s, prev: _p, hash: _h, ...rest } = scrubValue(entry) as Record<string, unknown>;
    const out = [this.link(rest)];
    if (this.signer && ++this.sinceCheckpoint >= (this.opts.checkpointEvery ?? 100)) out.push(this.checkpoint());
    return out;
  }

  /** A signed checkpoint over the current head (e.g. at shutdown). */
  checkpoint(): ChainedRecord {
    if (!this.opts.signingSeed || !this.signer) throw new Error("AuditChain: no signingSeed, so no checkpoints");
    this.sinceCheckpoint = 0;
    const { signature } = signWithSeed(this.opts.signingSeed, checkpointInput(this.opts.instance, this.seq, this.last));
    return this.link({ kind: "checkpoint", headSeq: this.seq, head: this.last, signer: this.signer, signature });
  }

  private link(body: Record<string, unknown>): ChainedRecord {
    const unhashed = { ...body, instance: this.opts.instance, seq: this.seq + 1, prev: this.last };
    const record = { ...unhashed, hash: hashRecord(unhashed) };
    this.seq = record.seq;
    this.last = record.hash;
    return record;
  }
}

export type AuditProblemKind = "malformed" | "altered" | "missing" | "reordered" | "duplicate" | "bad-checkpoint";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** 1-based position in the list given to the verifier; for a missing record, where it was expected. */
  position: number;
  instance?: string;
  seq?: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  instances: number;
  checkpoints: number;
  problems: AuditProblem[];
}

export interface VerifyOptions {
  /** Public nkeys ("U...") allowed to sign checkpoints; when absent any valid signature is accepted. */
  trustedSigners?: readonly string[];
  /** The copy may begin mid-chain (retention); otherwise a chain that does not start at seq 1 has missing records. */
  allowTruncatedStart?: boolean;
}

const hex64 = /^[0-9a-f]{64}$/;

/**
 * Verifies records as they were read (stream order) and names every altered, missing, reordered or
 * duplicated record by its position. Records of different instances may be interleaved.
 */
export function verifyAuditChain(records: readonly unknown[], opts: VerifyOptions = {}): AuditVerification {
  const problems: AuditProblem[] = [];
  const byInstance = new Map<string, { pos: number; rec: ChainedRecord }[]>();
  let checkpoints = 0;

  records.forEach((raw, i) => {
    const pos = i + 1;
    const r = raw as Partial<ChainFields> | null;
    if (!r || typeof r !== "object" || typeof r.instance !== "string" || !Number.isInteger(r.seq) || (r.seq as number) < 1 || typeof r.prev !== "string" || !hex64.test(r.prev) || typeof r.hash !== "string" || !hex64.test(r.hash)) {
      problems.push({ kind: "malformed", position: pos, message: `record at position ${pos} is not a chained audit record (instance, seq, prev, hash)` });
      return;
    }
    const rec = raw as ChainedRecord;
    let list = byInstance.get(rec.instance);
    if (!list) byInstance.set(rec.instance, (list = []));
    list.push({ pos, rec });
  });

  for (const [instance, list] of byInstance) {
    // The same seq twice is a duplicate (or a forgery); of the rest, the longest run already in seq order
    // is taken as the true order and every record outside it is reported as out of place.
    const bySeq = new Map<number, { pos: number; rec: ChainedRecord }>();
    const unique: { pos: number; rec: ChainedRecord }[] = [];
    for (const item of list) {
      const { pos, rec } = item;
      const twin = bySeq.get(rec.seq);
      if (twin) {
        const same = twin.rec.hash === rec.hash && hashRecord(rec) === rec.hash;
        problems.push({
          kind: same ? "duplicate" : "altered",
          position: pos,
          instance,
          seq: rec.seq,
          message: same
            ? `record at position ${pos} repeats seq ${rec.seq} of ${instance} (first at position ${twin.pos})`
            : `record at position ${pos} claims seq ${rec.seq} of ${instance}, already taken by a different record at position ${twin.pos}`,
        });
        continue;
      }
      bySeq.set(rec.seq, item);
      unique.push(item);
    }
    const inOrder = longestIncreasingRun(unique.map((u) => u.rec.seq));
    unique.forEach(({ pos, rec }, i) => {
      if (inOrder.has(i)) return;
      const witness = unique.find((u, j) => inOrder.has(j) && (j < i ? u.rec.seq > rec.seq : u.rec.seq < rec.seq));
      const relation = witness ? `: seq ${witness.rec.seq} at position ${witness.pos} belongs ${witness.rec.seq > rec.seq ? "after" : "before"} it` : "";
      problems.push({
        kind: "reordered",
        position: pos,
        instance,
        seq: rec.seq,
        message: `record at position ${pos} (seq ${rec.seq} of ${instance}) is out of order${relation}`,
      });
    });

    const chain = [...bySeq.values()].sort((a, b) => a.rec.seq - b.rec.seq);
    const altered = new Set<number>();
    const flagAltered = (pos: number, seq: number, why: string) => {
      if (altered.has(pos)) return;
      altered.add(pos);
      problems.push({ kind: "altered", position: pos, instance, seq, message: `record at position ${pos} (seq ${seq} of ${instance}) was altered: ${why}` });
    };
    chain.forEach(({ pos, rec }, i) => {
      if (hashRecord(rec) !== rec.hash) flagAltered(pos, rec.seq, "its content does not match its hash");
      const before = chain[i - 1];
      if (!before) {
        if (rec.seq === 1 && rec.prev !== GENESIS) flagAltered(pos, rec.seq, "the first record does not start from genesis");
        if (rec.seq > 1 && !opts.allowTruncatedStart) for (let s = 1; s < rec.seq; s++) missing(undefined, pos, s);
      } else if (rec.seq === before.rec.seq + 1) {
        if (rec.prev !== before.rec.hash) flagAltered(before.pos, before.rec.seq, `the next record (position ${pos}) links to a different hash`);
      } else {
        for (let s = before.rec.seq + 1; s < rec.seq; s++) missing(before.pos, pos, s);
      }
      if (rec.kind === "checkpoint") {
        checkpoints++;
        const why = checkpointProblem(rec, opts);
        if (why) problems.push({ kind: "bad-checkpoint", position: pos, instance, seq: rec.seq, message: `checkpoint at position ${pos} (seq ${rec.seq} of ${instance}): ${why}` });
      }
    });

    // Where a dropped record stood: right after its predecessor in this instance's chain. That is exact for a
    // single-instance copy; with interleaved instances the message gives the range it must have been in.
    function missing(afterPos: number | undefined, beforePos: number, seq: number) {
      const position = afterPos === undefined ? beforePos : afterPos + 1;
      const where = afterPos === undefined ? `before position ${beforePos}` : afterPos + 1 === beforePos ? `at position ${position}` : `between positions ${afterPos} and ${beforePos}`;
      problems.push({ kind: "missing", position, instance, seq, message: `record seq ${seq} of ${instance} is missing (${where})` });
    }
  }

  problems.sort((a, b) => a.position - b.position);
  return { ok: problems.length === 0, records: records.length, instances: byInstance.size, checkpoints, problems };
}

function checkpointProblem(rec: ChainedRecord, opts: VerifyOptions): string | undefined {
  const { headSeq, head, signer, signature } = rec as Record<string, unknown>;
  if (typeof headSeq !== "number" || typeof head !== "string" || typeof signer !== "string" || typeof signature !== "string") return "missing headSeq, head, signer or signature";
  if (opts.trustedSigners && !opts.trustedSigners.includes(signer)) return `signer ${signer} is not trusted`;
  if (!verifyWithPublicKey(signer, checkpointInput(rec.instance, headSeq, head), signature)) return "signature does not verify";
  if (headSeq !== rec.seq - 1 || head !== rec.prev) return `it signs seq ${headSeq} with a head the chain no longer has: the records before it were rewritten`;
  return undefined;
}

/** Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasingRun(values: readonly number[]): Set<number> {
  const tails: number[] = [];
  const parent = new Array<number>(values.length).fill(-1);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]!]! < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) parent[i] = tails[lo - 1]!;
    tails[lo] = i;
  });
  const keep = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = parent[i]!) keep.add(i);
  return keep;
}
