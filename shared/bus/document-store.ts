import { createHash } from "node:crypto";
import { SchemaError } from "../errors/index.js";
import type { Bus } from "./connection.js";
import { rawBus } from "./raw-bus.js";

/** Documents by reference (claim-check): the bytes live here, a message carries only their name and digest. */
export const documentBucket = "mesh_documents";

export interface StoredDocument {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

export interface DocumentStore {
  /** Stores the bytes under `name` (the uploader's side: the operator, a mail gateway, a test). */
  put(name: string, bytes: Uint8Array): Promise<StoredDocument>;
  /**
   * The bytes of `name`, refused (SchemaError) when missing, over `maxBytes`, or when they do not hash to `sha256`:
   * a reference that does not name exactly these bytes is not followed.
   */
  get(name: string, sha256: string, maxBytes: number): Promise<Uint8Array>;
}

export async function openDocumentStore(bus: Bus, opts: { replicas?: number; ttlMs?: number } = {}): Promise<DocumentStore> {
  const os = await rawBus(bus).js.views.os(documentBucket, { replicas: opts.replicas ?? 1, ...(opts.ttlMs ? { ttl: opts.ttlMs * 1_000_000 } : {}) });
  return {
    async put(name, bytes) {
      await os.putBlob({ name }, bytes);
      return { name, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
    },
    async get(name, sha256, maxBytes) {
      const info = await os.info(name);
      if (!info) throw new SchemaError(`document ${name}: not in the document store (expired, or never stored)`);
      if (info.size > maxBytes) throw new SchemaError(`document ${name}: ${info.size} bytes is over the ${maxBytes}-byte limit`);
      const bytes = await os.getBlob(name);
      if (!bytes) throw new SchemaError(`document ${name}: not in the document store (expired, or never stored)`);
      const digest = createHash("sha256").update(bytes).digest("hex");
      if (digest !== sha256) throw new SchemaError(`document ${name}: its bytes hash to ${digest}, the reference names ${sha256}`);
      return bytes;
    },
  };
}
