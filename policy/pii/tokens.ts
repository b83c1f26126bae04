import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { detectPii, type Finding, type PiiEntity } from "./detectors.js";

/**
 * Reversible tokens for a trusted step that needs a value back. A token is the value encrypted
 * (AES-256-GCM) under a per-task key, with the IV derived from the value (SIV-style), so the same value
 * gives the same token within a task — a model sees consistent placeholders — and nothing across tasks.
 */
export type TokenKey = string | Uint8Array;

const TOKEN = /\[(CREDIT_CARD|IBAN|EMAIL|PHONE|IP_ADDRESS|US_SSN|UK_NINO|ES_NIF|PERSON):tok_([A-Za-z0-9_-]+)\]/g;

function keys(key: TokenKey): { enc: Buffer; mac: Buffer } {
  const ikm = typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key);
  if (ikm.length < 16) throw new RangeError("a token key needs at least 16 bytes of secret");
  const okm = Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), "meshwork pii tokens v1", 64));
  return { enc: okm.subarray(0, 32), mac: okm.subarray(32) };
}

/** A task's token key from a process secret and the task id; both sides of a trusted step derive the same one. */
export function taskTokenKey(secret: TokenKey, taskId: string): Buffer {
  return createHmac("sha256", typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret)).update(`task:${taskId}`).digest();
}

export function tokenize(text: string, key: TokenKey): { text: string; findings: Finding[] } {
  const k = keys(key);
  const findings = detectPii(text);
  let out = "";
  let at = 0;
  for (const f of findings) {
    const value = text.slice(f.start, f.end);
    const iv = createHmac("sha256", k.mac).update(`${f.entity}\0${value}`).digest().subarray(0, 12);
    const cipher = createCipheriv("aes-256-gcm", k.enc, iv);
    cipher.setAAD(Buffer.from(f.entity));
    const body = Buffer.concat([iv, cipher.update(value, "utf8"), cipher.final(), cipher.getAuthTag()]);
    out += `${text.slice(at, f.start)}[${f.entity}:tok_${body.toString("base64url")}]`;
    at = f.end;
  }
  return { text: out + text.slice(at), findings };
}

/** Restores every token made with `key`; a token that does not decrypt under it is left as it is. */
export function detokenize(text: string, key: TokenKey): string {
  const k = keys(key);
  return text.replace(TOKEN, (whole, entity: PiiEntity, b64: string) => {
    const body = Buffer.from(b64, "base64url");
    if (body.length < 12 + 16) return whole;
    try {
      const decipher = createDecipheriv("aes-256-gcm", k.enc, body.subarray(0, 12));
      decipher.setAAD(Buffer.from(entity));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString("utf8");
    } catch {
      return whole;
    }
  });
}
