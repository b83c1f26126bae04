import type { Tighten } from "./routing-policy.js";
import type { Spend } from "./spend.js";

/**
 * The router's door to policy (this folder never imports policy): every model call is put to the caller's gate,
 * which decides it, audits it and says what the decision obliges (redaction, raised bars, budgets).
 */
export interface ModelGateRequest<T = unknown> {
  readonly tier: string;
  readonly model: string;
  /** What the audit record should name: the small model's content hash, or the endpoint's model id. */
  readonly modelVersion: string;
  readonly endpoint: string;
  readonly region: string;
  readonly trusted: boolean;
  readonly task: TaskRef;
  /** For a call that costs money: its worst case (reserved against budgets before it runs) and what it did cost. */
  readonly spend?: { readonly estimate: Spend; actual(value: T): Spend };
}

export type GateOutcome<T> =
  | { readonly allowed: true; readonly value: T }
  | { readonly allowed: false; readonly reasons: readonly string[]; readonly message: string };

/**
 * The caller's policy door: `invoke` runs `call` as one policy-checked, audited model call (with `redact` true
 * when the text must be scrubbed before it leaves, and the bars the policy raised for this call), or answers a
 * refusal without running it.
 */
export interface ModelGate {
  invoke<T>(req: ModelGateRequest<T>, call: (redact: boolean, tighten?: Tighten) => Promise<T>): Promise<GateOutcome<T>>;
}

export interface TaskRef {
  readonly id: string;
  readonly flow: string;
  readonly region: string;
  /** Whatever the caller attaches (its policy facts); handed back to the gate untouched with every request. */
  readonly context?: unknown;
}

export interface TriedTier {
  readonly tier: string;
  readonly model: string;
  readonly label: string | null;
  readonly confidence: number;
  readonly error?: string;
}

