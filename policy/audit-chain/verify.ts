import { verifyWithPublicKey } from "../signing/index.js";
import { CHECKPOINT, GENESIS, OPEN, checkpointInput, hashRecord, openingInput, type ChainFields, type ChainedRecord } from "./statements.js";

export type AuditProblemKind =
  | "malformed"
  | "altered"
  | "missing"
  | "reordered"
  | "duplicate"
  | "bad-checkpoint"
  /** The instance's chain has no valid signed opening: nobody vouches for its records. */
  | "unsigned"
  /** The chain is signed by a key that is not a registered identity. */
  | "unknown-identity"
  /** The signer is registered under another name than the agent the records claim, or the subject's writer. */
  | "impersonation"
  /** The stream's configuration differs from the declared one in a setting that can lose records. */
  | "stream-config"
  /** The stream no longer holds messages it once stored. */
  | "truncated";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** 1-based position in the list given to the verifier (0 for problems of the stream itself); for a missing record, where it was expected. */
  position: number;
  instance?: string;
  seq?: number;
  message: string;
}

/** Records after an instance's last signed checkpoint: hash-linked, but no signature covers them yet. */
export interface UnanchoredTail {
  instance: string;
  fromSeq: number;
  records: number;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  instances: number;
  checkpoints: number;
  problems: AuditProblem[];
  /** Instances whose records cannot be attributed to the agent they name (unsigned, unknown signer, impersonation). */
  unverified: string[];
  /** Informational, not a failure: a live instance checkpoints within about a second, a killed one keeps its tail. */
  unanchored: UnanchoredTail[];
}

/** A registered identity as the verifier needs it: the name its public key belongs to. */
export interface KnownIdentity {
  readonly name: string;
}

export interface VerifyOptions {
  /** Public nkey ("U...") → identity: mesh_identities, a --trust list, or the keys `mesh up` gave its agents. */
  identities?: ReadonlyMap<string, KnownIdentity>;
  /** The subject each record was stored under (same positions as the records), so the writer token is checked too. */
  subjects?: readonly (string | undefined)[];
  /** The copy may begin mid-chain (an explicit --since), so a chain that does not start at seq 1 is not missing records. */
  allowTruncatedStart?: boolean;
}

type Item = { pos: number; rec: ChainedRecord };

const hex64 = /^[0-9a-f]{64}$/;

/**
 * Verifies records as they were read (stream order): names every altered, missing, reordered or duplicated record
 * by its position, and every instance whose chain is not signed by a registered identity under the name it claims.
 * Records of different instances may be interleaved.
 */
export function verifyAuditChain(records: readonly unknown[], opts: VerifyOptions = {}): AuditVerification {
  const problems: AuditProblem[] = [];
  const byInstance = new Map<string, Item[]>();
  const unverified: string[] = [];
  const unanchored: UnanchoredTail[] = [];
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
    const chain = integrity(instance, list, opts, problems);
    checkpoints += chain.filter((c) => c.rec.kind === CHECKPOINT).length;
    const attribution = attribute(instance, chain, opts, problems);
    if (!attribution.verified) unverified.push(instance);
    if (attribution.tail) unanchored.push(attribution.tail);
  }

  problems.sort((a, b) => a.position - b.position);
  return { ok: problems.length === 0, records: records.length, instances: byInstance.size, checkpoints, problems, unverified, unanchored };
}

/** Duplicates, order, links and hashes of one instance's records; returns the chain by seq (first of each seq). */
function integrity(instance: string, list: readonly Item[], opts: VerifyOptions, problems: AuditProblem[]): Item[] {
  // The same seq twice is a duplicate (or a forgery); of the rest, the longest run already in seq order
  // is taken as the true order and every record outside it is reported as out of place.
  const bySeq = new Map<number, Item>();
  const unique: Item[] = [];
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
    problems.push({ kind: "reordered", position: pos, instance, seq: rec.seq, message: `record at position ${pos} (seq ${rec.seq} of ${instance}) is out of order${relation}` });
  });

  const chain = [...bySeq.values()].sort((a, b) => a.rec.seq - b.rec.seq);
  const altered = new Set<number>();
  const flagAltered = (pos: number, seq: number, why: string) => {
    if (altered.has(pos)) return;
    altered.add(pos);
    problems.push({ kind: "altered", position: pos, instance, seq, message: `record at position ${pos} (seq ${seq} of ${instance}) was altered: ${why}` });
  };
  // Where a dropped record stood: right after its predecessor in this instance's chain. That is exact for a
  // single-instance copy; with interleaved instances the message gives the range it must have been in. A run of
  // dropped records is one problem: a forged seq far ahead must not make the verifier list (or allocate) billions.
  const missing = (afterPos: number, beforePos: number, from: number, to: number) => {
    const position = afterPos + 1;
    const where = afterPos + 1 === beforePos ? `at position ${position}` : `between positions ${afterPos} and ${beforePos}`;
    const which = from === to ? `record seq ${from} of ${instance} is` : `records seq ${from}-${to} of ${instance} are`;
    problems.push({ kind: "missing", position, instance, seq: from, message: `${which} missing (${where})` });
  };
  chain.forEach(({ pos, rec }, i) => {
    if (hashRecord(rec) !== rec.hash) flagAltered(pos, rec.seq, "its content does not match its hash");
    const before = chain[i - 1];
    if (!before) {
      if (rec.seq === 1 && rec.prev !== GENESIS) flagAltered(pos, rec.seq, "the first record does not start from genesis");
      if (rec.seq > 1 && !opts.allowTruncatedStart) {
        // One problem for the whole missing start: a truncated stream can lose thousands of records per instance.
        problems.push({ kind: "missing", position: pos, instance, seq: 1, message: `records seq 1${rec.seq > 2 ? `-${rec.seq - 1}` : ""} of ${instance} are missing (before position ${pos}): the chain's start is gone` });
      }
    } else if (rec.seq === before.rec.seq + 1) {
      if (rec.prev !== before.rec.hash) flagAltered(before.pos, before.rec.seq, `the next record (position ${pos}) links to a different hash`);
    } else {
      missing(before.pos, pos, before.rec.seq + 1, rec.seq - 1);
    }
  });
  return chain;
}

/**
 * Who wrote this instance's chain: the signer of its opening (or, when the chain's start is not in the copy, of
 * its first checkpoint), which must be a registered identity whose name is the agent every record claims and the writer
 * token of every subject. Checkpoints must verify under the same key.
 */
function attribute(instance: string, chain: readonly Item[], opts: VerifyOptions, problems: AuditProblem[]): { verified: boolean; tail?: UnanchoredTail } {
  const first = chain[0]!;
  // Without its start (reported as missing unless --since allowed it), a chain is anchored by its first good checkpoint.
  const anchor = first.rec.seq === 1 ? openingOf(first.rec) : chain.map((c) => checkpointAnchor(c.rec)).find(Boolean);
  if (!anchor) {
    problems.push({
      kind: "unsigned",
      position: first.pos,
      instance,
      message: `instance ${instance}: ${first.rec.seq === 1 ? "its first record is not a validly signed opening" : "no signed record anchors it"}, so nobody vouches for its ${chain.length} record(s)`,
    });
    return { verified: false };
  }
  const identity = opts.identities?.get(anchor.signer);
  let verified = true;
  if (!identity) {
    problems.push({ kind: "unknown-identity", position: first.pos, instance, message: `instance ${instance} is signed by ${anchor.signer}, which is not a registered identity` });
    verified = false;
  } else if (identity.name !== anchor.agent) {
    problems.push({ kind: "impersonation", position: first.pos, instance, message: `instance ${instance} claims agent ${anchor.agent} but is signed by ${identity.name}'s key ${anchor.signer}` });
    verified = false;
  }
  const name = identity?.name ?? anchor.agent;
  const claimsOther = chain.filter((c) => c.rec.agent !== name);
  const writtenAsOther = opts.subjects ? chain.filter((c) => writerOf(opts.subjects![c.pos - 1]) !== name) : [];
  for (const [odd, what] of [
    [claimsOther, (c: Item) => `claims agent ${String(c.rec.agent ?? "(none)")}`],
    [writtenAsOther, (c: Item) => `was published as writer ${writerOf(opts.subjects![c.pos - 1]) ?? "(unknown)"}`],
  ] as const) {
    const firstOdd = odd[0];
    if (!firstOdd) continue;
    problems.push({
      kind: "impersonation",
      position: firstOdd.pos,
      instance,
      seq: firstOdd.rec.seq,
      message: `instance ${instance} is signed as ${name}, but ${odd.length} of its record(s) say otherwise: the one at position ${firstOdd.pos} ${what(firstOdd)}`,
    });
    verified = false;
  }

  let anchoredThrough = first.rec.seq;
  for (const { pos, rec } of chain) {
    if (rec.kind !== CHECKPOINT) continue;
    const why = checkpointProblem(rec, anchor.signer);
    if (why) problems.push({ kind: "bad-checkpoint", position: pos, instance, seq: rec.seq, message: `checkpoint at position ${pos} (seq ${rec.seq} of ${instance}): ${why}` });
    else anchoredThrough = rec.seq;
  }
  const lastSeq = chain[chain.length - 1]!.rec.seq;
  return { verified, ...(lastSeq > anchoredThrough ? { tail: { instance, fromSeq: anchoredThrough + 1, records: lastSeq - anchoredThrough } } : {}) };
}

function openingOf(rec: ChainedRecord): { signer: string; agent: string } | undefined {
  const { kind, agent, signer, signature, at } = rec as Record<string, unknown>;
  if (kind !== OPEN || typeof agent !== "string" || typeof signer !== "string" || typeof signature !== "string" || typeof at !== "string") return undefined;
  return verifyWithPublicKey(signer, openingInput({ instance: rec.instance, agent, signer, at }), signature) ? { signer, agent } : undefined;
}

function checkpointAnchor(rec: ChainedRecord): { signer: string; agent: string } | undefined {
  const { signer, agent } = rec as Record<string, unknown>;
  if (rec.kind !== CHECKPOINT || typeof signer !== "string" || typeof agent !== "string") return undefined;
  return checkpointProblem(rec, signer) ? undefined : { signer, agent };
}

function checkpointProblem(rec: ChainedRecord, expectedSigner: string): string | undefined {
  const { headSeq, head, signer, signature } = rec as Record<string, unknown>;
  if (typeof headSeq !== "number" || typeof head !== "string" || typeof signer !== "string" || typeof signature !== "string") return "missing headSeq, head, signer or signature";
  if (signer !== expectedSigner) return `signed by ${signer}, not by the instance's key ${expectedSigner}`;
  if (!verifyWithPublicKey(signer, checkpointInput(rec.instance, headSeq, head), signature)) return "signature does not verify";
  if (headSeq !== rec.seq - 1 || head !== rec.prev) return `it signs seq ${headSeq} with a head the chain no longer has: the records before it were rewritten`;
  return undefined;
}

/** The writer token of an audit subject (mesh.audit.<region>.<task|mesh>.<writer>). */
function writerOf(subject: string | undefined): string | undefined {
  const parts = subject?.split(".");
  return parts?.length === 5 && parts[0] === "mesh" && parts[1] === "audit" ? parts[4] : undefined;
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
