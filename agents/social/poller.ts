import { z } from "zod";
import type { ServiceContext, SocialMentionPayload } from "../../shared/runtime/index.js";
import type { SocialSettings } from "./settings.js";
import { pollLease } from "./poll-lease.js";

/** The parts of Mastodon's answers the connector reads; anything else in them is ignored. */
const accountSchema = z.object({ id: z.string(), acct: z.string(), bot: z.boolean().default(false), locked: z.boolean().default(false) });
const statusSchema = z.object({ id: z.string(), content: z.string(), in_reply_to_id: z.string().nullable().default(null), account: accountSchema });
const notificationSchema = z.object({ id: z.string(), type: z.string(), account: accountSchema, status: statusSchema.optional() });
const contextSchema = z.object({ ancestors: z.array(statusSchema) });

export interface MentionSource {
  /** One poll: mentions after the cursor, submitted to mesh.in.social oldest first; resolves to how many. */
  poll(): Promise<number>;
}

/**
 * Follows the account's mentions through notifications polling and submits each one to the `social` flow as any
 * publisher would (ingest validates it; the source id is the status id, so a mention submitted twice, by a replica
 * taking over the poll, yields one task). One replica at a time polls, under a lease in KV that also holds the
 * cursor, so a burst is read once, not once per replica. Every platform request is a tool call through policy and audit.
 */
export async function mentionSource(svc: ServiceContext, settings: SocialSettings, tenant: string): Promise<MentionSource> {
  const auth = { authorization: `Bearer ${settings.SOCIAL_TOKEN}` };
  const get = async <T extends z.ZodType>(path: string, schema: T, what: string): Promise<z.infer<T>> => {
    const res = await svc.tool({ url: `${settings.SOCIAL_BASE_URL}${path}`, headers: auth, region: settings.SOCIAL_REGION, endpoint: "social-read" });
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) throw new Error(`${what}: the platform's answer does not parse (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`);
    return parsed.data;
  };
  const self = await get("/api/v1/accounts/verify_credentials", accountSchema, "verify_credentials");
  // Thread of each status seen lately: a reply to a mention already read needs no context request.
  const threads = new Map<string, string>();
  const threadOf = async (status: z.infer<typeof statusSchema>): Promise<string> => {
    const parent = status.in_reply_to_id;
    const thread = !parent
      ? status.id
      : (threads.get(parent) ??
        (await get(`/api/v1/statuses/${encodeURIComponent(status.id)}/context`, contextSchema, "status context")).ancestors[0]?.id ??
        parent);
    threads.set(status.id, thread);
    if (threads.size > maxRememberedThreads) threads.delete(threads.keys().next().value!);
    return thread;
  };
  const payloadOf = async (n: z.infer<typeof notificationSchema>, status: z.infer<typeof statusSchema>): Promise<SocialMentionPayload> => ({
    statusId: status.id,
    thread: await threadOf(status),
    text: plainText(status.content),
    author: { id: n.account.id, acct: n.account.acct, bot: n.account.bot, locked: n.account.locked },
    mentioned: n.type === "mention",
    fromSelf: n.account.id === self.id,
  });
  const lease = pollLease(svc.state, svc.config.instance, Math.max(leaseMinMs, settings.SOCIAL_POLL_MS * 5));
  return {
    async poll() {
      let total = 0;
      // Pages are read while they come back full, so a burst is caught up without waiting a poll interval per page.
      for (let full = true; full; ) {
        const cursor = await lease.take();
        if (cursor === undefined) return total;
        const page = await get(`/api/v1/notifications?types[]=mention&limit=${pageSize}&min_id=${encodeURIComponent(cursor)}`, z.array(notificationSchema), "notifications");
        const oldestFirst = [...page].sort((a, b) => compareIds(a.id, b.id));
        const payloads: { id: string; payload: SocialMentionPayload }[] = [];
        for (const n of oldestFirst) if (n.status) payloads.push({ id: n.status.id, payload: await payloadOf(n, n.status) });
        // Submitted together: ingest orders nothing by arrival, and one page waits for one round of acks.
        await Promise.all(payloads.map(({ id, payload }) => svc.submit("social", `mastodon:${id}`, { tenant, region: settings.SOCIAL_REGION, source: { system: "mastodon", id }, payload })));
        if (oldestFirst.length) await lease.advance(oldestFirst.at(-1)!.id);
        total += oldestFirst.length;
        full = page.length === pageSize;
      }
      return total;
    },
  };
}

/** Mastodon's largest notifications page. */
const pageSize = 80;
/** The poll lease outlives a slow page: a replica takes over only from one that stopped polling. */
const leaseMinMs = 10_000;
const maxRememberedThreads = 50_000;

/** Mastodon ids are decimal strings that outgrow a double: compare by length, then text. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Status content is HTML; the mesh keeps its text. */
function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}
