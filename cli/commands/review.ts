import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { buckets, openStateStore, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { correctionEventSchema, parseEnvelope, type TaskEnvelope } from "../../shared/envelope/index.js";
import { MeshError } from "../../shared/errors/index.js";
import type { QueueItem } from "../../agents/review/queue.js";
import { admittedRecordSchema, taskMessageSchema } from "../../shared/runtime/messages.js";
import { exportLabels, formatReviewQueue, replayTask } from "../review/index.js";
import { connectCli } from "../connect.js";

const json = (data: Uint8Array) => JSON.parse(Buffer.from(data).toString("utf8")) as unknown;

async function withBus<T>(name: string, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await connectCli(name);
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}

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
export function reviewList(): Promise<number> {
  return withBus("review", async (bus) => {
    const store = await openStateStore(bus, "mesh_state_review");
    const items = (await store.values<QueueItem>("item")).map((e) => e.value);
    process.stdout.write(`${formatReviewQueue(items)}\n`);
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
  const stored = await bus.jsm.streams.getMessage(at.stream, { seq: at.seq }).catch(() => undefined);
  const envelope = stored && stored.subject === at.subject ? parseEnvelope(taskMessageSchema.parse(json(stored.data)).envelope) : undefined;
  if (!envelope || envelope.id !== id || envelope.digest !== at.digest) {
    throw new MeshError("E_CONFIG", `task ${id} is no longer at ${at.stream} #${at.seq} (older than the stream's retention?)`);
  }
  return envelope;
}

/**
 * `mesh replay <task-id> [--publish]`: the task's envelope plus its corrections, in order — deterministic.
 * Prints the replay; with --publish, sends it to the flow's first stage again with the corrected fields as input.
 */
export function replayCommand(id: string, opts: { publish?: boolean }): Promise<number> {
  return withBus("replay", async (bus) => {
    const envelope = await findEnvelope(bus, id);
    const corrections = (await readStream(bus, streamNames.correction, { filterSubject: subjects.correction(envelope.flow) }))
      .map((m) => correctionEventSchema.parse(json(m.data)))
      .filter((c) => c.envelopeId === id);
    const replay = replayTask(envelope, corrections);
    process.stdout.write(`${JSON.stringify({ envelopeId: id, digest: envelope.digest, corrections: replay.corrections.length, fields: replay.fields }, null, 2)}\n`);
    if (!opts.publish) return 0;
    const n = (await readStream(bus, streamNames.task, { filterSubject: subjects.task(envelope.flow, "ingested") })).length;
    await publish(bus, subjects.task(envelope.flow, "ingested"), { envelope, stage: "ingested", from: { name: "replay", version: "1" }, data: { corrections: replay.fields } }, {
      msgId: `${id}:replay:${n}`,
      headers: { "Mesh-Envelope": id, traceparent: envelope.trace.traceparent },
    });
    process.stderr.write(
      `republished ${id} to ${subjects.task(envelope.flow, "ingested")}; its outcome is deduplicated against the first one for DUPLICATE_WINDOW_MS\n`,
    );
    return 0;
  });
}
