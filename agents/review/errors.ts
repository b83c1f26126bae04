/** Failures the review API answers with a status; `code` is stable for clients and tests. */
export type ReviewErrorCode = "E_UNAUTHENTICATED" | "E_FORBIDDEN" | "E_CSRF" | "E_NOT_FOUND" | "E_CONFLICT" | "E_SCHEMA";

const statusOf: Record<ReviewErrorCode, 400 | 401 | 403 | 404 | 409> = {
  E_UNAUTHENTICATED: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_SCHEMA: 400,
};

export class ReviewError extends Error {
  override readonly name = "ReviewError";
  readonly status: 400 | 401 | 403 | 404 | 409;
  constructor(
    readonly code: ReviewErrorCode,
    message: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}

/** The state store's compare-and-set loser (shared/errors ConflictError), recognised by its stable code. */
export function isConflict(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "E_CONFLICT";
}
