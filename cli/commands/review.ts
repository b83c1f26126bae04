import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { buckets, openStateStore, publish, readStream, storedMessage, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { correctionEventSchema, parseEnvelope, type TaskEnvelope } from "../../shared/envelope/index.js";
import { MeshError } from "../../shared/errors/index.js";
import { reviewRequestSchema, taskFacts, type ReviewRequest } from "../../shared/runtime/messages.js";
import { sealDecision } from "../../shared/runtime/review-verification.js";
import { connectOperator, type Operator } from "../operator.js";
import type { QueueItem } from "../../agents/review/queue.js";
import { admittedRecordSchema, taskMessageSchema } from "../../shared/runtime/messages.js";
import { exportLabels, formatReviewQueue, replayTask } from "../review/index.js";
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
 * Prints the replay; with --publish, the operator re-decides the task with those corrections: a review decision
 * signed by the operator's identity and decided by policy (review.decide) like any human's, which the agent that
 * escalated the task verifies and resumes.
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
    if (!operator.seed) {
      throw new MeshError("E_CONFIG", "replay --publish signs a review decision: set MESH_IDENTITY_SEED to the operator's registered nkey seed (mesh up keeps one in .mesh/operator.json)");
    }
    const request = await findReviewRequest(bus, envelope);
    const subject = subjects.reviewDecided(envelope.flow);
    const n = (await readStream(bus, streamNames.review, { filterSubject: subject })).length;
    const now = new Date();
    const decision = sealDecision(
      {
        envelopeId: id,
        source: envelope.source,
        digest: envelope.digest,
        flow: envelope.flow,
        envelope,
        requestedBy: request.requestedBy,
        decision: "correct",
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
    await operator.perform({
      action: "review.decide",
      principal: operator.principal,
      resource: { subject, region: envelope.region },
      facts: { task: taskFacts(envelope) },
      region: envelope.region,
      auditDetail: { person: operator.person, command: "replay --publish", corrections: replay.corrections.length },
      run: () => publish(bus, subject, decision, { msgId: `${id}:operator:replay:${n}`, headers: { "Mesh-Envelope": id, "Mesh-Agent": "operator", traceparent: envelope.trace.traceparent } }),
    });
    report(
      opts,
      { ...replayed, published: { subject, resumedBy: request.requestedBy.name } },
      () =>
        `${text()}\nre-decided ${id} with its corrections on ${subject}; ${request.requestedBy.name} resumes it (its outcome is deduplicated against the first one for DUPLICATE_WINDOW_MS)`,
    );
    return 0;
  });
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
