import { createUser, fromPublic, fromSeed, type KeyPair } from "nkeys.js";

/** A fresh user nkey: `seed` ("SU...") is the secret to keep, `publicKey` ("U...") the one to trust. */
export function createSigningKey(): { seed: string; publicKey: string } {
  const kp = createUser();
  try {
    return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
  } finally {
    kp.clear();
  }
}

export function publicKeyOfSeed(seed: string): string {
  const kp = keyFromSeed(seed);
  try {
    return kp.getPublicKey();
  } finally {
    kp.clear();
  }
}

function keyFromSeed(seed: string): KeyPair {
  const trimmed = seed.trim();
  if (!trimmed.startsWith("S")) throw new RangeError("an nkey seed starts with S (e.g. SU... for a user key)");
  return fromSeed(new TextEncoder().encode(trimmed));
}

/** Verifies an ed25519 signature against a public nkey ("U..."); a malformed key or signature is just false. */
export function verifyWithPublicKey(publicKey: string, data: string, signature: string): boolean {
  try {
    return fromPublic(publicKey).verify(new TextEncoder().encode(data), Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}

export function signWithSeed(seed: string, data: string): { publicKey: string; signature: string } {
  const kp = keyFromSeed(seed);
  try {
    return { publicKey: kp.getPublicKey(), signature: Buffer.from(kp.sign(new TextEncoder().encode(data))).toString("base64url") };
  } finally {
    kp.clear();
  }
}
