import { createHash } from "node:crypto";

/**
 * Deterministic splits by a stable hash of the normalised text, so a row lands in the same split on every
 * machine and every run, and duplicate texts (BANKING77 has a few) can never sit on both sides of a split.
 * bucket = first 4 bytes of sha256(salt + "\0" + normalised text) as an unsigned int, modulo `parts`.
 */
export function hashBucket(text: string, parts: number, salt = "banking77-split-v1"): number {
  const digest = createHash("sha256").update(`${salt}\0${normaliseForSplit(text)}`).digest();
  return digest.readUInt32BE(0) % parts;
}

function normaliseForSplit(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, " ");
}

/** The held-out fifth: bucket 0 of 5 is evaluation, never trained or calibrated on. */
export function isEvalRow(text: string): boolean {
  return hashBucket(text, 5) === 0;
}

/** Cross-fitting folds over the non-evaluation rows (a different salt, so folds are independent of the eval split). */
export function foldOf(text: string, folds: number): number {
  return hashBucket(text, folds, "banking77-fold-v1");
}
