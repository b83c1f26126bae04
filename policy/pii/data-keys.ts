import { z } from "zod";

/**
 * Data keys per region, for encrypting personal fields at rest: `{ "eu": { "active": "k2", "keys": { "k1": "<base64>",
 * "k2": "<base64>" } } }`. The active key encrypts; every listed key decrypts, so a rotation adds a key, makes it
 * active, and keeps the old one for as long as ciphertexts made with it are retained (the streams' max age).
 */
const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "key ids are 1-32 letters, digits, _ or -");
// The message never echoes the value: it is a secret.
const keyBytes = z.string().transform((s, ctx) => {
  const bytes = Buffer.from(s, "base64");
  if (bytes.length !== 32 || bytes.toString("base64").replace(/=+$/, "") !== s.replace(/=+$/, "")) {
    ctx.addIssue({ code: "custom", message: "must be 32 bytes, base64 encoded" });
    return z.NEVER;
  }
  return bytes;
});

export const regionKeyringSchema = z
  .strictObject({ active: keyId, keys: z.record(keyId, keyBytes) })
  .refine((k) => Object.hasOwn(k.keys, k.active), { message: "active must name one of keys", path: ["active"] });

export const dataKeysSchema = z.record(z.string().regex(/^[a-z]{2}(-[a-z0-9]+)*$/, "must be a region code such as eu"), regionKeyringSchema);
export type DataKeys = z.infer<typeof dataKeysSchema>;

/** Parses key material from JSON text; neither a JSON syntax error nor a zod issue repeats any of the text. */
export const dataKeysJson = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "not JSON" });
    return z.NEVER;
  }
}).pipe(dataKeysSchema);
