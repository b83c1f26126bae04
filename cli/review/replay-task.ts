import { applyCorrections, SchemaError, type CorrectionEvent, type TaskEnvelope } from "../../shared/runtime/index.js";

export interface Replay {
  /** The envelope, unchanged: a replay never edits the task. */
  readonly envelope: TaskEnvelope;
  /** Its corrections in the order they were made. */
  readonly corrections: readonly CorrectionEvent[];
  /** Field path → value after applying them in order: what the re-run takes as given (e.g. { intent }). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Re-runs a task deterministically: its envelope plus its corrections, in order. A correction made for
 * another task, or against different content (another digest), is refused rather than applied.
 * @example const { envelope, fields } = replayTask(envelope, await readCorrections(envelope.id))
 */
export function replayTask(envelope: TaskEnvelope, corrections: readonly CorrectionEvent[]): Replay {
  corrections.forEach((c, i) => {
    if (c.envelopeId !== envelope.id) throw new SchemaError(`corrections.${i}.envelopeId: ${c.envelopeId} is not task ${envelope.id}`);
    if (c.envelopeDigest !== envelope.digest)
      throw new SchemaError(`corrections.${i}.envelopeDigest: made against ${c.envelopeDigest}, the task is ${envelope.digest}`);
  });
  // Stable: corrections made in the same millisecond keep their stream order.
  const ordered = corrections
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.at.localeCompare(b.c.at) || a.i - b.i)
    .map((x) => x.c);
  return { envelope, corrections: ordered, fields: applyCorrections({} as Record<string, unknown>, ordered) };
}
