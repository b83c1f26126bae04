import type { BodyEncoder, DeadLetter } from "../bus/index.js";
import { contentDigest, deepFreeze, personalDataClass, personalFieldsOf, sha256Hex, type TaskEnvelope } from "../envelope/index.js";
import { MeshError, PolicyDeniedError, SchemaError } from "../errors/index.js";
import type { DataKeys } from "../../policy/pii/data-keys.js";
import { FieldCryptoError, isSealed, mapFields, openBytes, openField, sealBytes, sealField } from "../../policy/pii/field-crypto.js";
import type { AgentContext, EffectScope } from "./context.js";
import type { Principal, Resource } from "../../policy/index.js";

/**
 * Personal data at rest and in use. Ingest seals the flow's personal fields (shared/envelope/flows.ts
 * `personalFields`) before an envelope is published; a consumer gets them back in memory only when policy allows
 * `data.read` of class `personal` on the subject it consumed; each such read is an effect of the pipeline (decided, audited).
 *
 * The envelope digest covers the envelope as stored, personal fields sealed: every agent can check it without a
 * key, corrections and results name the digest of what the streams hold, and since field sealing is deterministic
 * per (data key, envelope id, path, value), re-ingesting the same source event gives the same digest (ids come
 * from the source and dedupe by id is unchanged). A clear-text digest would also have been a guessable hash of PII.
 */
export class PersonalData {
  constructor(
    /** Absent for agents that never touch task data (the trainer); the others refuse to start without (requireDataKeys). */
    private readonly dataKeys: DataKeys | undefined,
    private readonly agent: string,
    /** Region whose key seals what has no task region yet (an inbound body that never became an envelope). */
    private readonly defaultRegion: string,
  ) {}

  private get keys(): DataKeys {
    return requireDataKeys(this.dataKeys, this.agent);
  }

  /** The envelope as it may be stored: personal fields sealed with the task region's active key, digest over that. */
  protect(envelope: TaskEnvelope): TaskEnvelope {
    const paths = personalFieldsOf(envelope.flow, envelope.schemaVersion);
    if (paths.length === 0) return envelope;
    const payload = this.crypto(() =>
      mapFields(envelope.payload, paths, (value, path) => (isSealed(value) ? value : sealField(this.keys, envelope.region, { envelopeId: envelope.id, path }, value))),
    );
    return deepFreeze({ ...envelope, payload, digest: contentDigest({ ...envelope, payload }) });
  }

  /**
   * The task as the handler sees it: personal fields opened when policy allows `data.read` of them on `subject`
   * (the subject the task was consumed from), sealed otherwise. The digest stays the stored one.
   */
  async reveal(task: TaskEnvelope, subject: string, scope: EffectScope): Promise<TaskEnvelope> {
    const paths = this.sealedPaths(task);
    if (paths.length === 0) return task;
    const allowed = await mayRead(scope, {
      resource: { subject, dataClass: personalDataClass, region: task.region },
      facts: scope.facts(task),
      region: task.region,
      auditDetail: { fields: paths },
    });
    return allowed ? this.open(task, paths) : task;
  }

  /**
   * A worker's context with the task as its handler may see it. Effects still publish the stored envelope, and
   * what the handler publishes (results, review requests, stage data) has every opened value replaced by its field
   * path (`[vendorId]`), so a reason or snapshot that quotes one does not carry it out of the sealed envelope.
   */
  async revealContext<I>(ctx: AgentContext<I>, subject: string, scope: EffectScope): Promise<AgentContext<I>> {
    const task = await this.reveal(ctx.task, subject, scope);
    if (task === ctx.task) return ctx;
    const withhold = withholder(this.openedValues(ctx.task, task));
    return {
      ...ctx,
      task,
      emit: (stage, data) => ctx.emit(stage, withhold(data)),
      complete: (result) => ctx.complete(withhold(result)),
      escalate: (req) => ctx.escalate(withhold(req)),
      handOff: (flow, event) => ctx.handOff(flow, withhold(event)),
    };
  }

  /**
   * Envelopes shown to a person acting through a service (a reviewer): one decision per (subject, region), with the
   * person's roles; envelopes the decision does not cover stay sealed.
   */
  async revealFor(
    envelopes: readonly TaskEnvelope[],
    subjectOf: (e: TaskEnvelope) => string,
    person: { readonly id: string; readonly roles: readonly string[] },
    scope: EffectScope,
  ): Promise<TaskEnvelope[]> {
    const key = (e: TaskEnvelope) => `${subjectOf(e)}\0${e.region}`;
    const groups = new Map<string, TaskEnvelope[]>();
    for (const e of envelopes) if (this.sealedPaths(e).length) groups.set(key(e), [...(groups.get(key(e)) ?? []), e]);
    const verdicts = new Map(
      await Promise.all(
        [...groups].map(async ([k, [first, ...rest]]) => {
          const allowed = await mayRead(scope, {
            // The person reads through this agent: policy sees the agent with the person's roles.
            principal: { ...scope.principal, roles: person.roles },
            resource: { subject: subjectOf(first!), dataClass: personalDataClass, region: first!.region },
            facts: {},
            region: first!.region,
            auditDetail: { person: person.id, envelopes: [first!, ...rest].map((e) => e.id) },
          });
          return [k, allowed] as const;
        }),
      ),
    );
    return envelopes.map((e) => (verdicts.get(key(e)) ? this.open(e, this.sealedPaths(e)) : e));
  }

  /** Dead letters of raw inbound events keep the body sealed with the default region's key, bound to its stream position. */
  readonly sealLetterBody: BodyEncoder = (m) => ({
    encoding: "sealed",
    bytes: m.data.byteLength,
    sha256: sha256Hex(m.data),
    data: this.crypto(() => sealBytes(this.keys, this.defaultRegion, letterContext(m.stream, m.streamSeq), m.data)),
  });

  /** Field path → clear value, for the fields `opened` has in clear where `stored` has them sealed. */
  private openedValues(stored: TaskEnvelope, opened: TaskEnvelope): Map<string, string> {
    const clear = new Map<string, string>();
    mapFields(opened.payload, this.sealedPaths(stored), (value, path) => {
      clear.set(path, value);
      return value;
    });
    return clear;
  }

  private sealedPaths(task: TaskEnvelope): string[] {
    const found: string[] = [];
    mapFields(task.payload, personalFieldsOf(task.flow, task.schemaVersion), (value, path) => {
      if (isSealed(value)) found.push(path);
      return value;
    });
    return found;
  }

  private open(task: TaskEnvelope, paths: readonly string[]): TaskEnvelope {
    const payload = mapFields(task.payload, paths, (value, path) => {
      try {
        return openField(this.keys, value, { envelopeId: task.id, path });
      } catch (err) {
        // Tampered, moved from another task or field, or made with a key this process does not hold: never retried.
        throw new SchemaError(`payload.${path}: ${(err as Error).message}`);
      }
    });
    return deepFreeze({ ...task, payload });
  }

  private crypto<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof FieldCryptoError) throw new MeshError("E_CONFIG", err.message);
      throw err;
    }
  }
}

/** A `data.read` of personal data as an effect (decided and audited either way); a denial means "stays sealed", not a failure. */
async function mayRead(
  scope: EffectScope,
  read: { principal?: Principal; resource: Resource; facts: ReturnType<EffectScope["facts"]> | Record<string, never>; region: string; auditDetail: Record<string, unknown> },
): Promise<boolean> {
  try {
    return await scope.perform({ action: "data.read", ...read, run: async () => true });
  } catch (err) {
    if (err instanceof PolicyDeniedError) return false;
    throw err;
  }
}

/**
 * Shorter values are not withheld inside other text: replacing a two-character id everywhere would mangle
 * unrelated words, and such a value identifies nobody on its own.
 */
const minWithheldLength = 3;

/** Replaces every occurrence of an opened value in any string of a message by its field path. */
function withholder(clear: ReadonlyMap<string, string>): <T>(value: T) => T {
  // Longest first, so a value that contains another is replaced whole.
  const pairs = [...clear].filter(([, v]) => v.length >= minWithheldLength).sort((a, b) => b[1].length - a[1].length);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return pairs.reduce((s, [path, value]) => s.split(value).join(`[${path}]`), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return <T>(value: T) => (pairs.length ? (walk(value) as T) : value);
}

const letterContext = (stream: string, seq: number) => `dead-letter\0${stream}\0${seq}`;

/** The original body of a dead letter whose body was sealed (for `mesh dlq replay`). */
export function openLetterBody(keys: DataKeys, letter: Pick<DeadLetter, "body" | "stream" | "streamSeq">): Uint8Array | undefined {
  if (letter.body.encoding !== "sealed") return undefined;
  return openBytes(keys, letter.body.data, letterContext(letter.stream, letter.streamSeq));
}

/** Agents that admit, consume or show tasks cannot work without data keys; say so at start-up, not per task. */
export function requireDataKeys(keys: DataKeys | undefined, agent: string): DataKeys {
  if (!keys) {
    throw new MeshError(
      "E_CONFIG",
      `agent ${agent} handles personal data and needs data keys: set MESH_DATA_KEYS or MESH_DATA_KEYS_FILE (mesh up makes a local key file in .mesh/)`,
    );
  }
  return keys;
}
