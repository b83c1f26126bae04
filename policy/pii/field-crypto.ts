import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { DataKeys } from "./data-keys.js";

/**
 * Authenticated encryption of personal fields (AES-256-GCM) under per-region data keys. A sealed value is a
 * string `pii:v1:<region>:<keyId>:<base64url(iv | ciphertext | tag)>`: the key id rides with the ciphertext, so
 * rotating the active key leaves older values readable. The additional data binds the value to its envelope id
 * and field path (and region and key id), so a ciphertext moved to another task or field fails to open.
 *
 * Field values are sealed deterministically: the IV is an HMAC of (envelope id, path, value) under a key derived
 * from the data key (SIV-style, as policy/pii/tokens.ts), so re-ingesting the same source event yields the same
 * envelope and digest, and equal values reveal their equality only within one field of one envelope.
 */
export const sealedPattern = /^pii:v1:([a-z]{2}(?:-[a-z0-9]+)*):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]+)$/;

export interface FieldAad {
  readonly envelopeId: string;
  /** Dot-separated field path in the payload. */
  readonly path: string;
}

export class FieldCryptoError extends Error {
  override readonly name = "FieldCryptoError";
}

function subKeys(key: Buffer): { enc: Buffer; iv: Buffer } {
  const okm = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "meshwork field encryption v1", 64));
  return { enc: okm.subarray(0, 32), iv: okm.subarray(32) };
}

const derived = new WeakMap<Buffer, { enc: Buffer; iv: Buffer }>();
const keysOf = (key: Buffer) => {
  let k = derived.get(key);
  if (!k) derived.set(key, (k = subKeys(key)));
  return k;
};

const aadOf = (region: string, keyId: string, context: string) => Buffer.from(`meshwork pii v1\0${region}\0${keyId}\0${context}`);
const fieldContext = (aad: FieldAad) => `field\0${aad.envelopeId}\0${aad.path}`;

function activeKey(keys: DataKeys, region: string): { keyId: string; key: Buffer } {
  const ring = keys[region];
  if (!ring) throw new FieldCryptoError(`no data key for region ${region}: add one to MESH_DATA_KEYS`);
  return { keyId: ring.active, key: ring.keys[ring.active]! };
}

function seal(keys: DataKeys, region: string, context: string, plain: Buffer, iv: (k: { iv: Buffer }) => Buffer): string {
  const { keyId, key } = activeKey(keys, region);
  const k = keysOf(key);
  const nonce = iv(k);
  const cipher = createCipheriv("aes-256-gcm", k.enc, nonce);
  cipher.setAAD(aadOf(region, keyId, context));
  const body = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `pii:v1:${region}:${keyId}:${body.toString("base64url")}`;
}

function open(keys: DataKeys, sealed: string, context: string): Buffer {
  const m = sealedPattern.exec(sealed);
  if (!m) throw new FieldCryptoError("not a sealed value");
  const [, region, keyId, b64] = m as unknown as [string, string, string, string];
  const key = keys[region]?.keys[keyId];
  if (!key) throw new FieldCryptoError(`no data key ${keyId} for region ${region}`);
  const body = Buffer.from(b64, "base64url");
  if (body.length < 12 + 16) throw new FieldCryptoError("sealed value too short");
  try {
    const decipher = createDecipheriv("aes-256-gcm", keysOf(key).enc, body.subarray(0, 12));
    decipher.setAAD(aadOf(region, keyId, context));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
  } catch {
    throw new FieldCryptoError(`sealed value does not authenticate under key ${keyId} of region ${region} for this context`);
  }
}

export function isSealed(value: unknown): value is string {
  return typeof value === "string" && sealedPattern.test(value);
}

/** Seals one field value of one envelope with the region's active key. */
export function sealField(keys: DataKeys, region: string, aad: FieldAad, value: string): string {
  const context = fieldContext(aad);
  return seal(keys, region, context, Buffer.from(value, "utf8"), (k) =>
    createHmac("sha256", k.iv).update(context).update("\0").update(value, "utf8").digest().subarray(0, 12),
  );
}

/** Opens a sealed field value; throws FieldCryptoError when it was tampered with or moved to another field or task. */
export function openField(keys: DataKeys, sealed: string, aad: FieldAad): string {
  return open(keys, sealed, fieldContext(aad)).toString("utf8");
}

/** Seals opaque bytes (a dead letter's body) with a random IV, bound to what they are (e.g. the source stream and sequence). */
export function sealBytes(keys: DataKeys, region: string, context: string, bytes: Uint8Array): string {
  return seal(keys, region, `bytes\0${context}`, Buffer.from(bytes), () => randomBytes(12));
}

export function openBytes(keys: DataKeys, sealed: string, context: string): Buffer {
  return open(keys, sealed, `bytes\0${context}`);
}

const segments = (path: string) => path.split(".");

/** Applies `fn` to the string at each path that exists in a copy of `payload`; other values are left alone. */
export function mapFields(payload: unknown, paths: readonly string[], fn: (value: string, path: string) => string): unknown {
  if (payload === null || typeof payload !== "object") return payload;
  const copy = structuredClone(payload) as Record<string, unknown>;
  for (const path of paths) {
    const keys = segments(path);
    let node: Record<string, unknown> | undefined = copy;
    for (const k of keys.slice(0, -1)) {
      const next: unknown = node?.[k];
      node = next !== null && typeof next === "object" ? (next as Record<string, unknown>) : undefined;
    }
    const last = keys.at(-1)!;
    const value = node?.[last];
    if (node && typeof value === "string") node[last] = fn(value, path);
  }
  return copy;
}
