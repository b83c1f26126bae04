import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";
import { canonicalJson, deepFreeze, sha256Hex } from "./canonical.js";
import { isFlow, payloadSchema, type FlowName } from "./flows.js";
import { exactStrings, notExactMessage } from "./exact-strings.js";
import { decodeUtf8, invalidUtf8Reason, parseJsonText } from "./json-body.js";

// Never trimmed: " erp" and "erp" would name one source, and feed one envelope id. The regex refuses what trim would hide.
const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : - only");
/** A source system's own id: any text, but exactly the text it sent (it is hashed into the envelope id). */
const sourceId = z.string().min(1).max(256).refine((s) => s.isWellFormed(), notExactMessage);
export const region = z.string().regex(/^[a-z]{2}(-[a-z0-9]+)*$/, "must be a region code such as eu or us-east");
export const classification = z.enum(["public", "internal", "confidential", "restricted"]);

/** What an external system publishes to mesh.in.<flow>: any JSON object of this shape. */
export const inboundEventSchema = z.object({
  schemaVersion: z.number().int().positive().default(1),
  type: name.default("created"),
  tenant: name,
  region,
  source: z.object({ system: name, id: sourceId }),
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

/**
 * Derived from the source event's identity, so republishing the same source event is a duplicate. The hash is over
 * the UTF-8 bytes of system, NUL, id: exact and one-to-one for the well-formed strings ingest admits (a system name
 * holds no NUL, so system and id cannot run into each other).
 */
export function envelopeId(source: { system: string; id: string }): string {
  return `env_${sha256Hex(Buffer.from(`${source.system}\u0000${source.id}`, "utf8")).slice(0, 32)}`;
}

/** The source ref and envelope id of an inbound body, when it names a valid one; for dead letters of refused events. */
export function sourceRefOf(body: Uint8Array): { source: { system: string; id: string }; envelopeId: string } | undefined {
  const { text, invalidAt } = decodeUtf8(body);
  if (invalidAt !== undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const source = inboundEventSchema.shape.source.safeParse((json as { source?: unknown } | null)?.source);
  return source.success ? { source: source.data, envelopeId: envelopeId(source.data) } : undefined;
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

/**
 * A flow's payload schema with exact strings required, checked on the parsed payload, whose keys are the schema's
 * own: a reason never repeats a key the sender made up, and strings under keys the schema drops feed no digest.
 * Made once per schema: zod compiles a schema on its first parse, and a schema made per event was compiled per event.
 */
const exactPayloadSchemas = new Map<z.ZodType, z.ZodType>();
function exactPayloadSchema(flow: FlowName, version: number): z.ZodType | undefined {
  const schema = payloadSchema(flow, version);
  if (!schema) return undefined;
  let exact = exactPayloadSchemas.get(schema);
  if (!exact) exactPayloadSchemas.set(schema, (exact = schema.superRefine(exactStrings)));
  return exact;
}

/** Validates a raw inbound body against the inbound schema and the flow's versioned payload schema. */
export function createEnvelope(flow: string, body: Uint8Array | string, opts: EnvelopeOptions): TaskEnvelope {
  const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  const maxBytes = opts.maxBytes ?? defaultMaxEventBytes;
  if (bytes > maxBytes) throw new SchemaError(`(body): event is ${bytes} bytes; the limit is ${maxBytes}`, { bytes });
  if (!isFlow(flow)) throw new SchemaError(`flow: unknown flow "${flow.slice(0, 64)}"`, { flow });
  // Invalid bytes are refused whatever else holds; decoded as lone surrogates, the schemas below name their field.
  const { text, invalidAt } = typeof body === "string" ? { text: body, invalidAt: undefined } : decodeUtf8(body);
  const refuse = (issues?: string): never => {
    const utf8 = invalidAt === undefined ? [] : [invalidUtf8Reason("event", body as Uint8Array, invalidAt)];
    throw new SchemaError([...(issues ? [issues] : []), ...utf8].join("; "));
  };
  let json: unknown;
  try {
    json = parseJsonText(text, "event");
  } catch (err) {
    if (invalidAt !== undefined) refuse();
    throw err;
  }
  const inbound = inboundEventSchema.safeParse(json);
  if (!inbound.success) return refuse(describeIssues(inbound.error.issues));
  const ev = inbound.data;
  const schema = exactPayloadSchema(flow, ev.schemaVersion);
  if (!schema) return refuse(`schemaVersion: flow ${flow} has no payload schema version ${ev.schemaVersion}`);
  const payload = schema.safeParse(ev.payload);
  if (!payload.success) return refuse(describeIssues(payload.error.issues.map((i) => ({ ...i, path: ["payload", ...i.path] }))));
  if (invalidAt !== undefined) refuse();
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
  return checkedEnvelope(parsed.data);
}

/**
 * An envelope a message schema already parsed (one that embeds taskEnvelopeSchema), frozen once its digest is
 * checked: parsing it a second time would only repeat the schema's work.
 */
export function checkedEnvelope(envelope: TaskEnvelope): TaskEnvelope {
  if (contentDigest(envelope) !== envelope.digest) {
    throw new SchemaError(`envelope.digest: does not match the content of envelope ${envelope.id}`);
  }
  return deepFreeze(envelope);
}
