import { canonicalJson, sha256Hex } from "../../shared/envelope/canonical.js";

/**
 * What the chain's signatures cover. The opening binds an instance to an agent name and a signer; a checkpoint
 * binds the instance's head (seq and hash) at that point, and through the hash links every record before it.
 */

export const GENESIS = "0".repeat(64);

export interface ChainFields {
  readonly instance: string;
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}
export type ChainedRecord = Readonly<Record<string, unknown>> & ChainFields;

/** Record kinds the chain writes itself; an entry may not claim them. */
export const OPEN = "open";
export const CHECKPOINT = "checkpoint";

export function hashRecord(record: Readonly<Record<string, unknown>>): string {
  const { hash: _ignored, ...body } = record;
  return sha256Hex(canonicalJson(body));
}

export function openingInput(o: { instance: string; agent: string; signer: string; at: string }): string {
  return canonicalJson({ kind: OPEN, instance: o.instance, agent: o.agent, signer: o.signer, at: o.at });
}

/** Unchanged since the first signed checkpoints, so those still verify. */
export function checkpointInput(instance: string, headSeq: number, head: string): string {
  return canonicalJson({ instance, headSeq, head });
}
