/**
 * Errors with a stable `code` a user (and the DLQ) can act on. `transient` decides delivery:
 * a transient error parks the task (nak with backoff), a permanent one dead-letters it (term).
 */
export type ErrorCode =
  | "E_SCHEMA"
  | "E_POLICY_DENY"
  | "E_POLICY_INVALID"
  | "E_MAX_DELIVERIES"
  | "E_HANDLER"
  | "E_BREAKER_OPEN"
  | "E_MODEL_TIMEOUT"
  | "E_MODEL_ERROR"
  | "E_TOOL"
  | "E_CONFIG"
  | "E_RATE_LIMITED"
  | "E_BUDGET_UNAVAILABLE"
  | "E_BUDGET_BUSY"
  | "E_CONFLICT"
  | "E_AUDIT_UNAVAILABLE";

export class MeshError extends Error {
  override readonly name: string = "MeshError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly transient = false,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Bad input: never retried, always dead-lettered with the field that failed. */
export class SchemaError extends MeshError {
  override readonly name = "SchemaError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("E_SCHEMA", message, false, details);
  }
}

export class PolicyDeniedError extends MeshError {
  override readonly name = "PolicyDeniedError";
  constructor(
    message: string,
    readonly reasons: readonly string[],
    readonly revision: number,
    /** Set when the policy would allow the effect once a human approves it (a require_approval obligation). */
    readonly approvalReason?: string,
    /** Distinct approvers that obligation asks for (four-eyes: 2). */
    readonly approvers?: number,
  ) {
    super("E_POLICY_DENY", message, false, { reasons, revision, ...(approvalReason ? { approvalReason } : {}), ...(approvers ? { approvers } : {}) });
  }
}

/** A dependency is down or slow: the work waits in JetStream and is retried later, never failed. */
export class TransientError extends MeshError {
  override readonly name = "TransientError";
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, true, details);
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof MeshError ? err.transient : false;
}

/**
 * Renders a zod error as `field.path: problem; other.field: problem`, so the message names the field. It never
 * repeats received values: zod's own messages name types and limits only, except an unrecognized key's message,
 * which quotes the keys (input data), so that one is reduced to a count.
 */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[]): string {
  return issues
    .map((i) => {
      const message = i.code === "unrecognized_keys" ? `${i.keys?.length ?? "some"} unrecognized key(s)` : i.message;
      return `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${message}`;
    })
    .join("; ");
}

/** An optimistic write lost a race (the key changed since it was read, or already exists). */
export class ConflictError extends MeshError {
  override readonly name = "ConflictError";
  constructor(message: string) {
    super("E_CONFLICT", message, false);
  }
}
