import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { buckets, openStateStore, publish, readStream, storedMessage, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { correctionEventSchema, parseEnvelope, type TaskEnvelope } from "../../shared/envelope/index.js";
import { MeshError } from "../../shared/errors/index.js";
import { reviewDecisionSchema, reviewRequestSchema, taskFacts, type ReviewDecision, type ReviewRequest } from "../../shared/runtime/messages.js";
import { approversFor } from "../../shared/runtime/review-decisions.js";
import { canonicalJson } from "../../shared/envelope/canonical.js";
import { sealDecision } from "../../shared/runtime/review-verification.js";
import { connectOperator, type Operator } from "../operator.js";
import type { QueueItem } from "../../agents/review/queue.js";
import { admittedRecordSchema, taskMessageSchema } from "../../shared/runtime/messages.js";
import { exportLabels, formatReviewQueue, replayTask, type Replay } from "../review/index.js";
import { connectCli } from "../connect.js";
import { report } from "../report.js";

const json = (data: Uint8Array) => JSON.parse(Buffer.from(data).toString("utf8")) as unknown;

/** Runs `fn` with a client that is closed afterwards, whatever happens. */
async function using<C extends { close(): Promise<unknown> }, T>(open: Promise<C>, fn: (client: C) => Promise<T>): Promise<T> {
  const client = await open;
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

const withBus = <T>(name: string, fn: (bus: Bus) => Promise<T>) => using(connectCli(name), fn);

/** `mesh labels export [--flow ticket] [--out file]`: every reviewer label of a flow as JSONL. */
export function labelsExport(flow: string, out?: string): Promise<number> {
  return withBus("labels", async (bus) => {
    const labels = (await readStream(bus, streamNames.label, { filterSubject: subjects.label(flow) })).map((m) => json(m.data));
    const stream = out ? createWriteStream(out) : process.stdout;
    const n = await exportLabels(labels, stream);
    if (out) {
      stream.end();
      await once(stream, "finish");
    }
    process.stderr.write(`${n} label${n === 1 ? "" : "s"} of flow ${flow}${out ? ` written to ${out}` : ""}\n`);
    return 0;
  });
}

/** `mesh review ls`: the open review queue, from the review agent's durable state. */
export function reviewList(opts: { json?: boolean } = {}): Promise<number> {
  return withBus("review", async (bus) => {
    const store = await openStateStore(bus, "mesh_state_review");
    const items = (await store.values<QueueItem>("item")).map((e) => e.value);
    report(opts, items, () => formatReviewQueue(items));
    return 0;
  });
}

/** The admitted envelope, read back from the task stream where KV mesh_seen says it is (personal fields sealed). */
async function findEnvelope(bus: Bus, id: string): Promise<TaskEnvelope> {
  const admitted = await (await openStateStore(bus, buckets.seen)).get<unknown>(id);
  if (!admitted) {
    throw new MeshError("E_CONFIG", `no task ${id} was admitted (or it is older than the streams' retention); check the id with 'mesh trace ${id}'`);
  }
  const at = admittedRecordSchema.parse(admitted.value);
  const stored = await storedMessage(bus, at.stream, at.seq);
  const envelope = stored && stored.subject === at.subject ? parseEnvelope(taskMessageSchema.parse(json(stored.data)).envelope) : undefined;
  if (!envelope || envelope.id !== id || envelope.digest !== at.digest) {
    throw new MeshError("E_CONFIG", `task ${id} is no longer at ${at.stream} #${at.seq} (older than the stream's retention?)`);
  }
  return envelope;
}

/**
 * `mesh replay <task-id> [--publish]`: the task's envelope plus its corrections, in order — deterministic.
 * Prints the replay; with --publish, the task is re-decided with those corrections, which the agent that escalated
 * it verifies and resumes. Four-eyes holds on this path too: when people already decided the task with these values,
 * their decision is published again as they signed it (with every approval it carries); otherwise the operator
 * decides it alone — a decision signed by the operator's identity and decided by policy (review.decide) like any
 * human's — which is refused here, naming what is needed, when policy asks more than one approver for the values.
 */
export function replayCommand(id: string, opts: { publish?: boolean; json?: boolean }): Promise<number> {
  return withOperator("replay", async (operator) => {
    const { bus } = operator;
    const envelope = await findEnvelope(bus, id);
    const corrections = (await readStream(bus, streamNames.correction, { filterSubject: subjects.correction(envelope.flow) }))
      .map((m) => correctionEventSchema.parse(json(m.data)))
      .filter((c) => c.envelopeId === id);
    const replay = replayTask(envelope, corrections);
    const replayed = { envelopeId: id, digest: envelope.digest, corrections: replay.corrections.length, fields: replay.fields };
    const text = () =>
      [`task ${id} (digest ${envelope.digest}) with ${replay.corrections.length} correction(s) applied:`, ...Object.entries(replay.fields).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)].join("\n");
    if (!opts.publish) {
      report(opts, replayed, text);
      return 0;
    }
    const request = await findReviewRequest(bus, envelope);
    const subject = subjects.reviewDecided(envelope.flow);
    const decided = (await readStream(bus, streamNames.review, { filterSubject: subject })).map((m) => reviewDecisionSchema.parse(json(m.data)));
    const earlier = decided.filter((d) => d.envelopeId === id);
    const human = humanDecisionOf(earlier, replay.fields);
    const decision = human ?? operatorDecision(operator, envelope, request, replay, approversFor(operator.policy, request, replay.fields));
    await operator.perform({
      action: "review.decide",
      principal: operator.principal,
      resource: { subject, region: envelope.region },
      facts: { task: taskFacts(envelope) },
      region: envelope.region,
      auditDetail: {
        person: operator.person,
        command: "replay --publish",
        corrections: replay.corrections.length,
        ...(human ? { republished: { reviewer: human.reviewer.id, decidedAt: human.decidedAt, approvals: human.approvals?.length ?? 0 } } : {}),
      },
      run: () =>
        publish(bus, subject, decision, {
          msgId: `${id}:operator:replay:${decided.length}`,
          headers: { "Mesh-Envelope": id, "Mesh-Agent": "operator", traceparent: envelope.trace.traceparent },
        }),
    });
    const how = human
      ? `the decision ${[...(human.approvals ?? []).map((a) => a.reviewer.id), human.reviewer.id].join(" and ")} signed, published again`
      : "the operator's decision with its corrections";
    report(
      opts,
      { ...replayed, published: { subject, resumedBy: request.requestedBy.name, republished: Boolean(human) } },
      () =>
        `${text()}\nre-decided ${id} on ${subject} (${how}); ${request.requestedBy.name} resumes it (its outcome is deduplicated against the first one for DUPLICATE_WINDOW_MS)`,
    );
    return 0;
  });
}

/**
 * The latest decision people made on the task that a replay with `fields` would repeat: not a rejection, and
 * giving every replayed field the value they decided. Published again unchanged, it keeps their signatures.
 */
function humanDecisionOf(decisions: readonly ReviewDecision[], fields: Readonly<Record<string, unknown>>): ReviewDecision | undefined {
  const repeats = (d: ReviewDecision) =>
    d.decision !== "reject" && Object.entries(fields).every(([k, v]) => canonicalJson(d.corrections?.[k] ?? null) === canonicalJson(v));
  return decisions.filter(repeats).at(-1);
}

/** The operator's own decision of the replayed values, or a refusal naming what four-eyes needs instead. */
function operatorDecision(operator: Operator, envelope: TaskEnvelope, request: ReviewRequest, replay: Replay, needed: number): ReviewDecision {
  const approvers = Math.max(needed, request.approvers ?? 1);
  if (approvers > 1) {
    const values = Object.keys(replay.fields).length ? ` with ${canonicalJson(replay.fields)}` : "";
    throw new MeshError(
      "E_POLICY_DENY",
      `task ${envelope.id} needs ${approvers} distinct approvers${values} (policy's require_approval); a replay signed by the operator counts as one, ` +
        `and no decision people signed gives these values: have ${approvers} approvers decide it in the review UI, then replay it`,
    );
  }
  if (!operator.seed) {
    throw new MeshError("E_CONFIG", "replay --publish signs a review decision: set MESH_IDENTITY_SEED to the operator's registered nkey seed (mesh up keeps one in .mesh/operator.json)");
  }
  const now = new Date();
  return sealDecision(
    {
      envelopeId: envelope.id,
      source: envelope.source,
      digest: envelope.digest,
      flow: envelope.flow,
      envelope,
      requestedBy: request.requestedBy,
      decision: "correct" as const,
      corrections: { ...replay.fields },
      comment: `replay of ${replay.corrections.length} correction(s)`,
      reviewer: { id: `operator:${operator.person}`, roles: [...(operator.principal.roles ?? [])] },
      requestedAt: request.requestedAt,
      decidedAt: now.toISOString(),
      leadTimeMs: Math.max(0, now.getTime() - Date.parse(request.requestedAt)),
      policyRevision: request.policyRevision,
      traceparent: envelope.trace.traceparent,
    },
    operator.seed,
  );
}

/** The review request that escalated the task: who asked (the agent that resumes it) and when. */
async function findReviewRequest(bus: Bus, envelope: TaskEnvelope): Promise<ReviewRequest> {
  const requests = await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested(envelope.flow) });
  for (const m of requests) {
    const parsed = reviewRequestSchema.safeParse(json(m.data));
    if (parsed.success && parsed.data.envelopeId === envelope.id) return parsed.data;
  }
  throw new MeshError("E_CONFIG", `task ${envelope.id} was never escalated, so no agent waits for a decision on it; check it with 'mesh trace ${envelope.id}'`);
}

const withOperator = <T>(name: string, fn: (operator: Operator) => Promise<T>) => using(connectOperator(name), fn);
