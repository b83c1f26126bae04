import { z } from "zod";
import { MeshError, describeIssues } from "../../shared/runtime/index.js";

/** The connector's settings (`SOCIAL_*`). The token is a credential: it is never logged or put in a message. */
export const socialSettingsSchema = z.object({
  /** The platform's base URL (a Mastodon instance, or the fake in shared/fake-services). */
  SOCIAL_BASE_URL: z.url(),
  SOCIAL_TOKEN: z.string().min(8, "must be the account's access token (at least 8 characters)"),
  /** Region the platform processes data in (residency: a task may reach it only when its region allows). */
  SOCIAL_REGION: z.string().min(1).default("eu"),
  /** The tenant mentions are ingested for (the brand whose account this is). */
  SOCIAL_TENANT: z.string().min(1).default("brand"),
  SOCIAL_POLL_MS: z.coerce.number().int().min(50).default(2000),
  /**
   * Share of the platform's posting limit (its X-RateLimit-Limit) the mesh may use; the rest is left for people
   * posting from the same account. The policy's `social-post-budget` caps posts per window across replicas too.
   */
  SOCIAL_BUDGET_SHARE: z.coerce.number().gt(0).lt(1).default(0.5),
  /** Mode when no operator set one (`mesh social pause|resume`): live posts, shadow drafts and audits only. */
  SOCIAL_MODE: z.enum(["live", "shadow", "paused"]).default("live"),
  /** Negative mentions (AFINN) of one thread or topic within SOCIAL_PILE_ON_WINDOW_MS that pause auto-replies there and ask a human. */
  SOCIAL_PILE_ON_COUNT: z.coerce.number().int().min(2).default(5),
  SOCIAL_PILE_ON_WINDOW_MS: z.coerce.number().int().min(1000).default(600_000),
});
export type SocialSettings = z.infer<typeof socialSettingsSchema>;

export function parseSocialSettings(env: Readonly<Record<string, string | undefined>>): SocialSettings {
  const parsed = socialSettingsSchema.safeParse(env);
  if (!parsed.success) throw new MeshError("E_CONFIG", `social settings: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
