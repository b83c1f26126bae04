import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/**
 * A Mastodon stand-in for the offline demo and the tests: the client-API endpoints the social connector uses, with
 * the platform's rate-limit behaviour, so nothing calls a real platform.
 *   GET  /api/v1/accounts/verify_credentials         the account the token belongs to (the mesh's own)
 *   GET  /api/v1/notifications?types[]=mention&min_id=N&limit=L   mentions after N, newest first (as Mastodon)
 *   GET  /api/v1/statuses/:id/context                 {ancestors, descendants} via in_reply_to_id
 *   POST /api/v1/statuses {status, in_reply_to_id}    a post; counted against the posting limit
 * Every API answer carries X-RateLimit-Limit/Remaining/Reset for the posting window; a post over the limit gets
 * 429 with Retry-After (seconds), and a suspended account 403. Admin endpoints drive it:
 *   POST /_admin/accounts [{id, acct, bot?, locked?}]          accounts that can mention
 *   POST /_admin/statuses [{id?, authorId, text, inReplyToId?, mentionsSelf?}]  statuses (a mention notifies)
 *   POST /_admin {suspended?, postLimit?, windowMs?, throttleMs?}   change behaviour now (throttle: every post
 *        gets 429 for throttleMs, as a platform's other limits, per IP or per endpoint, answer)
 *   GET  /_admin/posts                                        every post the mesh made, with when it arrived
 */
export interface FakeMastodonOptions {
  readonly port?: number;
  readonly host?: string;
  /** The bearer token the API accepts (the connector's configured credential). */
  readonly token: string;
  /** Posts allowed per window (Mastodon: 300 per 3 h). */
  readonly postLimit?: number;
  readonly windowMs?: number;
}

export interface ReceivedPost {
  readonly id: string;
  readonly at: number;
  readonly text: string;
  readonly inReplyToId: string | null;
  /** The status the reply answers was written by this account. */
  readonly toAuthorId: string | null;
  /** The thread (first status of the conversation) the reply went into. */
  readonly thread: string | null;
}

export interface FakeMastodon {
  readonly url: string;
  readonly ownAccountId: string;
  readonly posts: readonly ReceivedPost[];
  /** Answers refused with 429, and when each was. */
  readonly refusals: readonly { readonly at: number; readonly retryAfterS: number }[];
  /** Posts that arrived while a 429's Retry-After was still running (a client that ignored it). */
  readonly postsDuringRetryAfter: number;
  close(): Promise<void>;
}

const accountInput = z.object({ id: z.string().min(1), acct: z.string().min(1), bot: z.boolean().default(false), locked: z.boolean().default(false) });
const statusInput = z.object({
  id: z.string().min(1).optional(),
  authorId: z.string().min(1),
  text: z.string(),
  inReplyToId: z.string().min(1).optional(),
  mentionsSelf: z.boolean().default(true),
});
const behaviourInput = z.object({
  suspended: z.boolean().optional(),
  postLimit: z.number().int().nonnegative().optional(),
  windowMs: z.number().int().positive().optional(),
  throttleMs: z.number().int().positive().optional(),
});
const postInput = z.object({ status: z.string().min(1).max(500), in_reply_to_id: z.string().min(1).optional(), visibility: z.string().optional() });

type Account = z.infer<typeof accountInput>;
interface Status {
  readonly id: string;
  readonly account: Account;
  readonly content: string;
  readonly in_reply_to_id: string | null;
  readonly created_at: string;
}

/** Starts the stand-in on `port` (0: a free one). */
export async function startFakeMastodon(opts: FakeMastodonOptions): Promise<FakeMastodon> {
  const self: Account = { id: "1", acct: "meshwork", bot: true, locked: false };
  const accounts = new Map<string, Account>([[self.id, self]]);
  const statuses = new Map<string, Status>();
  const notifications: { id: number; status: Status }[] = [];
  const posts: ReceivedPost[] = [];
  const refusals: { at: number; retryAfterS: number }[] = [];
  let postsDuringRetryAfter = 0;
  let retryAfterUntil = 0;
  let nextId = 1_000;
  let suspended = false;
  let throttleUntil = 0;
  let postLimit = opts.postLimit ?? 300;
  let windowMs = opts.windowMs ?? 3 * 3600_000;
  const used = new Map<number, number>();

  const windowOf = (now: number) => Math.floor(now / windowMs) * windowMs;
  const rateHeaders = (now: number) => {
    const start = windowOf(now);
    return {
      "x-ratelimit-limit": String(postLimit),
      "x-ratelimit-remaining": String(Math.max(0, postLimit - (used.get(start) ?? 0))),
      "x-ratelimit-reset": new Date(start + windowMs).toISOString(),
    };
  };
  const threadOf = (s: Status): string => {
    let cur = s;
    while (cur.in_reply_to_id && statuses.has(cur.in_reply_to_id)) cur = statuses.get(cur.in_reply_to_id)!;
    return cur.id;
  };
  const addStatus = (input: z.infer<typeof statusInput>): Status => {
    const account = accounts.get(input.authorId);
    if (!account) throw new Error(`authorId: no account ${input.authorId}; add it with POST /_admin/accounts`);
    const status: Status = {
      id: input.id ?? String(nextId++),
      account,
      content: input.mentionsSelf ? `<p>@${self.acct} ${escapeHtml(input.text)}</p>` : `<p>${escapeHtml(input.text)}</p>`,
      in_reply_to_id: input.inReplyToId ?? null,
      created_at: new Date().toISOString(),
    };
    statuses.set(status.id, status);
    if (input.mentionsSelf) notifications.push({ id: notifications.length + 1, status });
    return status;
  };

  const api = (req: IncomingMessage, url: URL, body: unknown): { status: number; body: unknown; headers?: Record<string, string> } => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) return { status: 401, body: { error: "The access token is invalid" } };
    const path = url.pathname;
    if (req.method === "GET" && path === "/api/v1/accounts/verify_credentials") return { status: 200, body: self };
    if (req.method === "GET" && path === "/api/v1/notifications") {
      const minId = Number(url.searchParams.get("min_id") ?? 0);
      const limit = Math.min(80, Number(url.searchParams.get("limit") ?? 40));
      // Notification n sits at index n - 1: a page is a slice, not a scan of every mention so far.
      const page = notifications.slice(Math.max(0, minId), Math.max(0, minId) + limit);
      return { status: 200, body: page.reverse().map((n) => ({ id: String(n.id), type: "mention", account: n.status.account, status: statusJson(n.status) })) };
    }
    const context = /^\/api\/v1\/statuses\/([^/]+)\/context$/.exec(path);
    if (req.method === "GET" && context) {
      const status = statuses.get(context[1]!);
      if (!status) return { status: 404, body: { error: "Record not found" } };
      const ancestors: Status[] = [];
      for (let cur = status; cur.in_reply_to_id && statuses.has(cur.in_reply_to_id); ) ancestors.unshift((cur = statuses.get(cur.in_reply_to_id)!));
      return { status: 200, body: { ancestors: ancestors.map(statusJson), descendants: [] } };
    }
    if (req.method === "POST" && path === "/api/v1/statuses") {
      const now = Date.now();
      if (suspended) return { status: 403, body: { error: "Your login is currently disabled" } };
      if (now < retryAfterUntil) postsDuringRetryAfter++;
      const start = windowOf(now);
      const throttled = now < throttleUntil;
      if (throttled || (used.get(start) ?? 0) >= postLimit) {
        const retryAfterS = Math.max(1, Math.ceil(((throttled ? throttleUntil : start + windowMs) - now) / 1000));
        retryAfterUntil = Math.max(retryAfterUntil, now + retryAfterS * 1000);
        refusals.push({ at: now, retryAfterS });
        return { status: 429, body: { error: "Too many requests" }, headers: { "retry-after": String(retryAfterS) } };
      }
      const parsed = postInput.safeParse(body);
      if (!parsed.success) return { status: 422, body: { error: `Validation failed: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}` } };
      used.set(start, (used.get(start) ?? 0) + 1);
      const parent = parsed.data.in_reply_to_id ? statuses.get(parsed.data.in_reply_to_id) : undefined;
      const status = addStatus({ authorId: self.id, text: parsed.data.status, mentionsSelf: false, ...(parsed.data.in_reply_to_id ? { inReplyToId: parsed.data.in_reply_to_id } : {}) });
      posts.push({ id: status.id, at: now, text: parsed.data.status, inReplyToId: status.in_reply_to_id, toAuthorId: parent?.account.id ?? null, thread: parent ? threadOf(parent) : null });
      return { status: 200, body: statusJson(status) };
    }
    return { status: 404, body: { error: "Not found" } };
  };

  const admin = (req: IncomingMessage, url: URL, body: unknown): { status: number; body: unknown } => {
    if (req.method === "GET" && url.pathname === "/_admin/posts") return { status: 200, body: posts };
    if (req.method === "POST" && url.pathname === "/_admin/accounts") {
      for (const a of z.array(accountInput).parse(body)) accounts.set(a.id, a);
      return { status: 200, body: { accounts: accounts.size } };
    }
    if (req.method === "POST" && url.pathname === "/_admin/statuses") return { status: 200, body: z.array(statusInput).parse(body).map((s) => addStatus(s).id) };
    if (req.method === "POST" && url.pathname === "/_admin") {
      const b = behaviourInput.parse(body);
      if (b.suspended !== undefined) suspended = b.suspended;
      if (b.postLimit !== undefined) postLimit = b.postLimit;
      if (b.windowMs !== undefined) windowMs = b.windowMs;
      if (b.throttleMs !== undefined) throttleUntil = Date.now() + b.throttleMs;
      return { status: 200, body: { suspended, postLimit, windowMs } };
    }
    return { status: 404, body: { error: "Not found" } };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      let answer: { status: number; body: unknown; headers?: Record<string, string> };
      try {
        const raw = Buffer.concat(chunks).toString("utf8");
        const body: unknown = raw ? JSON.parse(raw) : undefined;
        answer = url.pathname.startsWith("/_admin") ? admin(req, url, body) : { ...api(req, url, body) };
        if (!url.pathname.startsWith("/_admin")) answer.headers = { ...rateHeaders(Date.now()), ...answer.headers };
      } catch (err) {
        answer = { status: 400, body: { error: (err as Error).message } };
      }
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    ownAccountId: self.id,
    posts,
    refusals,
    get postsDuringRetryAfter() {
      return postsDuringRetryAfter;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function statusJson(s: Status) {
  return { id: s.id, content: s.content, in_reply_to_id: s.in_reply_to_id, in_reply_to_account_id: null, account: s.account, created_at: s.created_at, visibility: "public" };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
