import { z } from "zod";
import { createHash } from "node:crypto";

/**
 * A dead letter keeps everything needed to understand and replay a message: the code and reason, where it
 * came from (stream + sequence, so an omitted large body can still be read back), and the body itself.
 */
export const deadLetterSchema = z.object({
  code: z.string(),
  reason: z.string(),
  agent: z.string(),
  flow: z.string(),
  subject: z.string(),
  stream: z.string(),
  streamSeq: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  at: z.string(),
  envelopeId: z.string().optional(),
  /** The caller's source ref (system + id), so a publisher can find what became of its event. */
  source: z.object({ system: z.string(), id: z.string() }).optional(),
  traceparent: z.string().optional(),
  headers: z.record(z.string(), z.string()),
  body: z.discriminatedUnion("encoding", [
    z.object({ encoding: z.literal("utf8"), data: z.string() }),
    z.object({ encoding: z.literal("base64"), data: z.string() }),
    z.object({ encoding: z.literal("omitted"), bytes: z.number(), sha256: z.string(), preview: z.string() }),
    /**
     * Raw inbound events that failed ingest: the source message is gone from MESH_IN (a work queue), so the letter
     * keeps the whole body, encrypted with the region's data key (shared/runtime/personal-data.ts), and its digest.
     */
    z.object({ encoding: z.literal("sealed"), bytes: z.number(), sha256: z.string(), data: z.string() }),
    // Written by an identity that may not read the stream back (the MAX_DELIVERIES advisory path): the message,
    // its subject included, is read from stream + streamSeq by the operator (mesh dlq replay).
    z.object({ encoding: z.literal("in-stream") }),
  ]),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

/** Bodies above this stay in their source stream; the dead letter carries a preview and the digest. */
export const maxInlineBodyBytes = 64 * 1024;

export function encodeBody(data: Uint8Array): DeadLetter["body"] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.byteLength > maxInlineBodyBytes) {
    return {
      encoding: "omitted",
      bytes: buf.byteLength,
      sha256: createHash("sha256").update(buf).digest("hex"),
      preview: buf.subarray(0, 512).toString("utf8"),
    };
  }
  const text = buf.toString("utf8");
  return Buffer.from(text, "utf8").equals(buf) ? { encoding: "utf8", data: text } : { encoding: "base64", data: buf.toString("base64") };
}

/** How a dead letter holds its body; the default keeps it as it came (task bodies carry only sealed personal fields). */
export type BodyEncoder = (d: { readonly data: Uint8Array; readonly stream: string; readonly streamSeq: number }) => DeadLetter["body"];

/** The clear body, or undefined when it must be read back from its stream or opened with a data key. */
export function decodeBody(body: DeadLetter["body"]): Uint8Array | undefined {
  if (body.encoding === "utf8") return Buffer.from(body.data, "utf8");
  if (body.encoding === "base64") return Buffer.from(body.data, "base64");
  return undefined;
}

/** One dead letter per source message, however often the failure repeats. */
export function deadLetterMsgId(stream: string, streamSeq: number): string {
  return `${stream}:${streamSeq}:dlq`;
}
