import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";
import { canonicalJson, deepFreeze, sha256Hex } from "./canonical.js";
import { isFlow, payloadSchema } from "./flows.js";
import { parseJsonBody } from "./json-body.js";

const name = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : - only");
export const region = z.string().regex(/^[a-z]{2}(-[a-z0-9]+)*$/, "must be a region code such as eu or us-east");
export const classification = z.enum(["public", "internal", "confidential", "restricted"]);

/** What an external system publishes to mesh.in.<flow>: any JSON object of this shape. */
export const inboundEventSchema = z.object({
  schemaVersion: z.number().int().positive().default(1),
  type: name.default("created"),
  tenant: name,
  region,
  source: z.object({ system: name, id: z.string().min(1).max(256) }),
  classification: classification.default("internal"),
  payload: z.unknown(),
});
export type InboundEvent = z.infer<typeof inboundEventSchema>;

export const taskEnvelopeSchema = z.object({
  id: z.string().regex(/^env_[0-9a-f]{32}$/),
  schemaVersion: z.number().int().positive(),
  flow: name,
  type: name,
  tenant: name,
  region,
  createdAt: z.iso.datetime(),
  source: z.object({ system: name, id: z.string().min(1) }),
  payload: z.unknown(),
  classification,
  trace: z.object({ traceparent: z.string() }),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type TaskEnvelope = Readonly<z.infer<typeof taskEnvelopeSchema>>;

/** Derived from the source event's identity, so republishing the same source event is a duplicate. */
export function envelopeId(source: { system: string; id: string }): string {
  return `env_${sha256Hex(`${source.system}\u0000${source.id}`).slice(0, 32)}`;
}

/** Digest of what the task is about; trace and timestamps are excluded, so a replay has the same digest. */
export function contentDigest(e: Pick<TaskEnvelope, "flow" | "type" | "tenant" | "region" | "source" | "payload" | "schemaVersion">): string {
  const { flow, type, tenant, region, source, payload, schemaVersion } = e;
  return `sha256:${sha256Hex(canonicalJson({ flow, type, tenant, region, source, payload, schemaVersion }))}`;
}

export interface EnvelopeOptions {
  readonly traceparent: string;
  readonly now?: Date;
  /** Larger bodies are refused before parsing (they would also exceed what the task stream should carry). */
  readonly maxBytes?: number;
}

export const defaultMaxEventBytes = 1024 * 1024;

/** Validates a raw inbound body against the inbound schema and the flow's versioned payload schema. */
export function createEnvelope(flow: string, body: Uint8Array | string, opts: EnvelopeOptions): TaskEnvelope {
  const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  const maxBytes = opts.maxBytes ?? defaultMaxEventBytes;
  if (bytes > maxBytes) throw new SchemaError(`(body): event is ${bytes} bytes; the limit is ${maxBytes}`, { bytes });
  if (!isFlow(flow)) throw new SchemaError(`flow: unknown flow "${flow.slice(0, 64)}"`, { flow });
  const json = parseJsonBody(body, "event");
  const inbound = inboundEventSchema.safeParse(json);
  if (!inbound.success) throw new SchemaError(describeIssues(inbound.error.issues));
  const ev = inbound.data;
  const schema = payloadSchema(flow, ev.schemaVersion);
  if (!schema) throw new SchemaError(`schemaVersion: flow ${flow} has no payload schema version ${ev.schemaVersion}`);
  const payload = schema.safeParse(ev.payload);
  if (!payload.success) {
    throw new SchemaError(describeIssues(payload.error.issues.map((i) => ({ ...i, path: ["payload", ...i.path] }))));
  }
  const content = {
    schemaVersion: ev.schemaVersion,
    flow,
    type: ev.type,
    tenant: ev.tenant,
    region: ev.region,
    source: ev.source,
    payload: payload.data,
  };
  return deepFreeze({
    id: envelopeId(ev.source),
    ...content,
    createdAt: (opts.now ?? new Date()).toISOString(),
    classification: ev.classification,
    trace: { traceparent: opts.traceparent },
    digest: contentDigest(content),
  });
}

/** Parses an envelope read back from a stream; a digest that no longer matches the content is refused. */
export function parseEnvelope(value: unknown): TaskEnvelope {
  const parsed = taskEnvelopeSchema.safeParse(value);
  if (!parsed.success) throw new SchemaError(`envelope.${describeIssues(parsed.error.issues)}`);
  if (contentDigest(parsed.data) !== parsed.data.digest) {
    throw new SchemaError(`envelope.digest: does not match the content of envelope ${parsed.data.id}`);
  }
  return deepFreeze(parsed.data);
}
