import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth and no whitespace, so the same value always hashes and
 * signs the same bytes whatever order its producer wrote the keys in. `undefined` members are dropped
 * as JSON.stringify drops them; non-finite numbers are refused rather than silently becoming null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  // Plain loops and string concatenation: this hashes every audit record, on every effect's path.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + (value[i] === undefined ? "null" : canonicalJson(value[i]));
    return `${out}]`;
  }
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof (obj as { toJSON?: unknown }).toJSON === "function") return canonicalJson((obj as { toJSON(): unknown }).toJSON());
    const keys = Object.keys(obj).sort();
    let out = "{";
    for (const k of keys) {
      const v = obj[k];
      if (v === undefined) continue;
      out += `${out.length > 1 ? "," : ""}${JSON.stringify(k)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
