import { z } from "zod";
import { buckets, deadLetterSchema, openStateStore, readStream, streamNames, subjects, type Bus, type DeadLetter, type StoredMessage } from "../bus/index.js";
import { parseJsonBody } from "../envelope/index.js";
import { admittedRecordSchema, resultMessageSchema, reviewDecisionSchema, reviewRequestSchema } from "./messages.js";

interface Stored {
  readonly seq: number;
  readonly at: Date;
}

/** Everything one flow's streams hold about one task (an envelope id): the ground truth for `status` and `reconcile`. */
export interface TaskTrail {
  readonly id: string;
  source?: { readonly system: string; readonly id: string };
  /** The task stream's `ingested` message: the task was admitted. */
  admitted?: Stored;
  readonly stages: (Stored & { readonly stage: string; readonly agent: string })[];
  readonly results: (Stored & { readonly agent: string; readonly result: unknown })[];
  readonly reviewRequests: (Stored & { readonly code: string; readonly reason: string; readonly agent: string })[];
  readonly reviewDecisions: (Stored & { readonly decision: string })[];
  /** Letters that end the task: of its task messages or of its review decision (not of the review agent's intake or of labels). */
  readonly letters: (Stored & { readonly letter: DeadLetter })[];
  /**
   * Inbound events under this source ref that ingest refused. Not outcomes of an admitted task (a bad republish of
   * an admitted event is refused on its own), but the answer for an event that never got in.
   */
  readonly refusals: (Stored & { readonly letter: DeadLetter })[];
}

export interface FlowLedger {
  readonly trails: Map<string, TaskTrail>;
  /** Messages that did not parse as what their subject carries: `stream:seq`, for the operator to look at. */
  readonly unreadable: string[];
}

const taskMessage = z.object({ envelope: z.object({ id: z.string(), source: z.object({ system: z.string(), id: z.string() }) }), stage: z.string(), from: z.object({ name: z.string() }) });

export interface LedgerReadOptions {
  /** Only what the broker stored since this time. */
  readonly since?: Date;
  /** Read by an agent identity, which may not delete consumers: its readers are left to expire on the server. */
  readonly asAgent?: boolean;
}

/**
 * Reads a flow's task, result, review and dead-letter streams by subject (optionally only what the broker stored
 * since a time) and files every message under its envelope id. Stream reads, not metrics: counters reset and
 * sample, the streams are the record.
 */
export async function readFlowLedger(bus: Bus, flow: string, opts: LedgerReadOptions = {}): Promise<FlowLedger> {
  const read = (stream: string, filterSubject: string) =>
    readStream(bus, stream, { filterSubject, ...(opts.since ? { since: opts.since } : {}), ...(opts.asAgent ? { deleteWhenDone: false } : {}) });
  const [tasks, results, requests, decisions, letters] = await Promise.all([
    read(streamNames.task, subjects.tasksOfFlow(flow)),
    read(streamNames.result, subjects.result(flow)),
    read(streamNames.review, subjects.reviewRequested(flow)),
    read(streamNames.review, subjects.reviewDecided(flow)),
    read(streamNames.dlq, subjects.dlq(flow)),
  ]);
  const trails = new Map<string, TaskTrail>();
  const unreadable: string[] = [];
  const trail = (id: string): TaskTrail => {
    let t = trails.get(id);
    if (!t) trails.set(id, (t = { id, stages: [], results: [], reviewRequests: [], reviewDecisions: [], letters: [], refusals: [] }));
    return t;
  };
  const each = <T extends z.ZodType>(stream: string, msgs: StoredMessage[], schema: T, file: (body: z.infer<T>, at: Stored, m: StoredMessage) => void) => {
    for (const m of msgs) {
      const parsed = (() => {
        try {
          return schema.safeParse(parseJsonBody(m.data, "message"));
        } catch {
          return undefined;
        }
      })();
      if (parsed?.success) file(parsed.data, { seq: m.seq, at: m.time }, m);
      else unreadable.push(`${stream}:${m.seq}`);
    }
  };
  // Sequence → envelope id on the task and review streams, for letters that point at their message instead of naming
  // the id (the MAX_DELIVERIES advisory path).
  const taskSeqs = new Map<number, string>();
  const decisionSeqs = new Map<number, string>();
  each(streamNames.task, tasks, taskMessage, (msg, at, m) => {
    const t = trail(msg.envelope.id);
    t.source ??= msg.envelope.source;
    taskSeqs.set(m.seq, msg.envelope.id);
    if (m.subject === subjects.task(flow, "ingested")) t.admitted ??= at;
    t.stages.push({ ...at, stage: m.subject.split(".").at(-1) ?? "?", agent: msg.from.name });
  });
  each(streamNames.result, results, resultMessageSchema, (msg, at) => {
    trail(msg.envelopeId).results.push({ ...at, agent: msg.agent, result: msg.result });
  });
  each(streamNames.review, requests, reviewRequestSchema, (msg, at) => {
    const t = trail(msg.envelopeId);
    t.source ??= msg.envelope.source;
    t.reviewRequests.push({ ...at, code: msg.code, reason: msg.reason, agent: msg.requestedBy.name });
  });
  each(streamNames.review, decisions, reviewDecisionSchema, (msg, at) => {
    decisionSeqs.set(at.seq, msg.envelopeId);
    trail(msg.envelopeId).reviewDecisions.push({ ...at, decision: msg.decision });
  });
  each(streamNames.dlq, letters, deadLetterSchema, (letter, at) => {
    const refusal = letter.stream === streamNames.in;
    const endsTask = letter.stream === streamNames.task || (letter.stream === streamNames.review && letter.subject === subjects.reviewDecided(flow));
    const bySeq = letter.stream === streamNames.task ? taskSeqs : letter.stream === streamNames.review ? decisionSeqs : undefined;
    const id = letter.envelopeId ?? bySeq?.get(letter.streamSeq);
    if (!id || !(refusal || endsTask)) return;
    const t = trail(id);
    t.source ??= letter.source;
    (refusal ? t.refusals : t.letters).push({ ...at, letter });
  });
  return { trails, unreadable };
}

/** Review requests no decision has answered yet (a decided one ends in the resumed task's own outcome). */
export function openReviews(t: TaskTrail): number {
  return Math.max(0, t.reviewRequests.length - t.reviewDecisions.length);
}

/** How many outcomes end the task: a result, a dead letter, or a review request still waiting for a human. */
export function terminalOutcomes(t: TaskTrail): number {
  return t.results.length + t.letters.length + openReviews(t);
}

export type TaskState =
  | { readonly state: "not admitted" }
  | { readonly state: "dead-lettered"; readonly code: string; readonly reason: string; readonly agent: string; readonly letterSeq: number }
  | { readonly state: "done"; readonly agent: string; readonly result: unknown; readonly at: string }
  | { readonly state: "waiting for review"; readonly code: string; readonly reason: string; readonly since: string }
  | { readonly state: "review decided"; readonly decision: string; readonly at: string }
  | { readonly state: "in stage"; readonly stage: string; readonly since: string };

/** Where a task is now, from its trail (latest outcome wins; `reconcile` is the place to find more than one). */
export function taskState(t: TaskTrail | undefined): TaskState {
  const result = t?.results.at(-1);
  if (result) return { state: "done", agent: result.agent, result: result.result, at: result.at.toISOString() };
  const letter = t?.letters.at(-1);
  if (letter) return { state: "dead-lettered", code: letter.letter.code, reason: letter.letter.reason, agent: letter.letter.agent, letterSeq: letter.seq };
  if (t && openReviews(t)) {
    const request = t.reviewRequests.at(-1)!;
    return { state: "waiting for review", code: request.code, reason: request.reason, since: request.at.toISOString() };
  }
  const decision = t?.reviewDecisions.at(-1);
  if (decision) return { state: "review decided", decision: decision.decision, at: decision.at.toISOString() };
  const stage = t?.stages.at(-1);
  if (stage) return { state: "in stage", stage: stage.stage, since: stage.at.toISOString() };
  const refusal = t?.refusals.at(-1);
  // Never admitted: the refusal is the event's dead letter (its agent is ingest).
  if (refusal) return { state: "dead-lettered", code: refusal.letter.code, reason: refusal.letter.reason, agent: refusal.letter.agent, letterSeq: refusal.seq };
  return { state: "not admitted" };
}

export interface Finding {
  readonly envelopeId: string;
  readonly source: TaskTrail["source"];
  readonly outcomes: number;
  readonly detail: string;
}

export interface Reconciliation {
  readonly admitted: number;
  readonly missing: Finding[];
  readonly doubled: Finding[];
  readonly unreadable: string[];
  /** The ledger it was judged from (callers that need more than the verdict, as `mesh chaos`, read it here). */
  readonly ledger: FlowLedger;
}

/**
 * The verdict of `mesh reconcile` and `mesh chaos`: every admitted input of the flow (an `ingested` message on the task
 * stream, or a mark in KV mesh_seen the stream no longer shows) must have exactly one terminal outcome. With `only`,
 * just those envelope ids are judged (the ledger it returns still holds every trail read).
 */
export async function reconcileFlow(bus: Bus, flow: string, opts: { since?: Date; only?: ReadonlySet<string> } = {}): Promise<Reconciliation> {
  const ledger = await readFlowLedger(bus, flow, opts);
  const { unreadable } = ledger;
  // A chaos run against a live mesh judges only the tasks it sent, whatever else the mesh is doing.
  const mine = (id: string) => !opts.only || opts.only.has(id);
  const trails = new Map([...ledger.trails].filter(([id]) => mine(id)));
  const ingested = subjects.task(flow, "ingested");
  // A mark without its message: admitted, then lost from the stream (or never stored past the mark).
  const marks = (await (await openStateStore(bus, buckets.seen)).values())
    .map((e) => admittedRecordSchema.safeParse(e.value))
    .flatMap((r) => (r.success && r.data.subject === ingested && mine(r.data.id) && (!opts.since || Date.parse(r.data.at) >= opts.since.getTime()) ? [r.data] : []));
  const missing: Finding[] = [];
  const doubled: Finding[] = [];
  let admitted = 0;
  for (const mark of marks) {
    if (trails.get(mark.id)?.admitted) continue;
    admitted++;
    missing.push({ envelopeId: mark.id, source: trails.get(mark.id)?.source, outcomes: 0, detail: `marked admitted at ${mark.at} (task stream seq ${mark.seq}) but the stream has no ingested message` });
  }
  for (const t of trails.values()) {
    if (!t.admitted) continue;
    admitted++;
    const n = terminalOutcomes(t);
    const parts = `${t.results.length} result(s), ${t.letters.length} dead letter(s), ${t.reviewRequests.length} review request(s), ${t.reviewDecisions.length} decision(s)`;
    if (n === 0) missing.push({ envelopeId: t.id, source: t.source, outcomes: 0, detail: `no outcome; last stage ${t.stages.at(-1)?.stage ?? "?"}` });
    else if (n > 1) doubled.push({ envelopeId: t.id, source: t.source, outcomes: n, detail: parts });
  }
  return { admitted, missing, doubled, unreadable, ledger };
}
