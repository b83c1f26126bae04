import { z } from "zod";
import { MeshError, describeIssues } from "../../shared/runtime/index.js";

const reviewerSchema = z.object({
  id: z.string().min(1),
  /** reviewer: may decide ordinary items; approver: also items policy holds for approval. Other roles see nothing. */
  roles: z.array(z.string().min(1)),
});
export type Reviewer = z.infer<typeof reviewerSchema>;

/** Token → reviewer. A token is a secret: it is never logged (settingsForLog drops it). */
const tokensSchema = z.string().transform((raw, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON object of token → { id, roles }" });
    return z.NEVER;
  }
  const parsed = z.record(z.string().min(8, "tokens must be at least 8 characters"), reviewerSchema).safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({ code: "custom", message: describeIssues(parsed.error.issues) });
    return z.NEVER;
  }
  return parsed.data;
});

const int = (min: number) => z.coerce.number().int().min(min);

export const reviewSettingsSchema = z.object({
  REVIEW_PORT: int(0).max(65535).default(8080),
  REVIEW_HOST: z.string().default("127.0.0.1"),
  REVIEW_TOKENS: tokensSchema.default({}),
  /** Time a reviewer has to decide an item; each window that passes without a decision is one breach. */
  REVIEW_SLA_MS: int(1000).default(4 * 3600_000),
  REVIEW_SESSION_TTL_MS: int(60_000).default(8 * 3600_000),
  /** Decided items are kept this long (a late redelivery of their request must still find them), then deleted. */
  REVIEW_RETENTION_MS: int(60_000).default(7 * 24 * 3600_000),
  /** How often the SLA sweep runs; default a tenth of the SLA, between 1 s and 1 min. */
  REVIEW_SWEEP_MS: int(100).optional(),
  /** Extra origins allowed to POST (a reverse proxy's public origin); the server's own origin always is. */
  REVIEW_ORIGINS: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((o) => o.trim()).filter(Boolean)),
  /** Failed sign-ins allowed per client address and per token within REVIEW_SIGNIN_WINDOW_MS; more answer 429. */
  REVIEW_SIGNIN_MAX_FAILURES: int(1).default(5),
  REVIEW_SIGNIN_WINDOW_MS: int(1000).default(60_000),
  /** Set behind TLS so the session cookie carries `Secure`. */
  REVIEW_SECURE_COOKIE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
});
export type ReviewSettings = z.infer<typeof reviewSettingsSchema>;

export function parseReviewSettings(env: Record<string, string | undefined>): ReviewSettings {
  const parsed = reviewSettingsSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", `review settings: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export function sweepIntervalMs(s: ReviewSettings): number {
  return s.REVIEW_SWEEP_MS ?? Math.min(60_000, Math.max(1000, Math.floor(s.REVIEW_SLA_MS / 10)));
}

/** What start-up may print: reviewer ids and roles, never tokens. */
export function settingsForLog(s: ReviewSettings): Record<string, unknown> {
  return { ...s, REVIEW_TOKENS: Object.values(s.REVIEW_TOKENS) };
}
