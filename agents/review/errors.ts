/** Failures the review API answers with a status; `code` is stable for clients and tests. */
export type ReviewErrorCode = "E_UNAUTHENTICATED" | "E_FORBIDDEN" | "E_CSRF" | "E_NOT_FOUND" | "E_CONFLICT" | "E_SCHEMA" | "E_RATE_LIMITED";

type Status = 400 | 401 | 403 | 404 | 409 | 429;
const statusOf: Record<ReviewErrorCode, Status> = {
  E_UNAUTHENTICATED: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_SCHEMA: 400,
  E_RATE_LIMITED: 429,
};

export class ReviewError extends Error {
  override readonly name = "ReviewError";
  readonly status: Status;
  constructor(
    readonly code: ReviewErrorCode,
    message: string,
    /** Sent as Retry-After (seconds) with a 429. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}

/** The state store's compare-and-set loser (shared/errors ConflictError), recognised by its stable code. */
export function isConflict(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "E_CONFLICT";
}
