import { z } from "zod";

/**
 * The platform's own count of posts, from the X-RateLimit-* headers on its answers. The mesh may use `share` of the
 * limit; once what is left falls to the rest, it holds off until the platform's window resets. Headers count
 * every client of the account, so every replica reading them sees the same figure.
 */
const rateHeaders = z.object({
  "x-ratelimit-limit": z.coerce.number().int().nonnegative(),
  "x-ratelimit-remaining": z.coerce.number().int().nonnegative(),
  "x-ratelimit-reset": z.string().transform((s, ctx) => {
    const at = Date.parse(s);
    if (Number.isNaN(at)) ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time" });
    return at;
  }),
});

export interface PlatformWindow {
  readonly limit: number;
  readonly remaining: number;
  readonly resetAt: number;
}

/** The window the headers describe, or undefined when the answer carries none (or malformed ones). */
export function platformWindowOf(headers: Readonly<Record<string, string>>): PlatformWindow | undefined {
  const parsed = rateHeaders.safeParse(headers);
  return parsed.success ? { limit: parsed.data["x-ratelimit-limit"], remaining: parsed.data["x-ratelimit-remaining"], resetAt: parsed.data["x-ratelimit-reset"] } : undefined;
}

/** Milliseconds to hold off before posting (0: go), given the last window seen and the mesh's share of it. */
export function holdForShare(window: PlatformWindow | undefined, share: number, now = Date.now()): number {
  if (!window || now >= window.resetAt) return 0;
  const reserved = window.limit - Math.floor(window.limit * share);
  return window.remaining <= reserved ? window.resetAt - now : 0;
}
