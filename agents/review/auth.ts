import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { StateStore } from "../../shared/runtime/index.js";
import { ReviewError } from "./errors.js";
import type { Reviewer } from "./settings.js";

export const sessionCookie = "mesh_review_session";

export interface Session {
  readonly reviewer: Reviewer;
  /** Sent back by the page in `x-csrf-token` on every POST; a cross-site form cannot read it. */
  readonly csrf: string;
  readonly expiresAt: string;
}

export interface Sessions {
  /** Exchanges a sign-in token for a session id (the cookie value) and its session. */
  signIn(token: string): Promise<{ id: string; session: Session }>;
  /** The session behind a cookie value, or E_UNAUTHENTICATED. */
  resolve(id: string | undefined): Promise<Session>;
  signOut(id: string | undefined): Promise<void>;
  /** Deletes expired sessions; returns how many. */
  prune(): Promise<number>;
  /** Stops following the store. */
  stop(): void;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a));
  const y = Buffer.from(sha256(b));
  return timingSafeEqual(x, y);
}

/**
 * Sessions live in the agent's state store under the hash of their id, so they survive a restart and are
 * shared by replicas, and a dump of the store holds no usable cookie. Each replica follows them through a watch,
 * so resolving the session of a request is a lookup in memory, not a round trip to the broker per request; a
 * session signed in on another replica a moment ago, not yet seen by the watch, is read from the store.
 * Resolves once the stored sessions are loaded.
 */
export async function openSessions(
  state: StateStore,
  opts: { tokens: Readonly<Record<string, Reviewer>>; ttlMs: number; now?: () => number },
): Promise<Sessions> {
  const now = opts.now ?? Date.now;
  const key = (id: string) => `session.${sha256(id)}`;
  const known = Object.entries(opts.tokens);
  const live = new Map<string, Session>();
  const watch = await state.watch<Session>("session", (change) => {
    if (change.value) live.set(change.key, change.value);
    else live.delete(change.key);
  });
  return {
    async signIn(token) {
      // Compare against every token so the time taken says nothing about which one nearly matched.
      let reviewer: Reviewer | undefined;
      for (const [t, r] of known) if (sameSecret(t, token)) reviewer = r;
      if (!reviewer) throw new ReviewError("E_UNAUTHENTICATED", "unknown sign-in token");
      const id = randomBytes(32).toString("base64url");
      const session: Session = {
        reviewer,
        csrf: randomBytes(32).toString("base64url"),
        expiresAt: new Date(now() + opts.ttlMs).toISOString(),
      };
      await state.put(key(id), session);
      live.set(key(id), session);
      return { id, session };
    },
    async resolve(id) {
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) throw new ReviewError("E_UNAUTHENTICATED", "sign in first");
      const session = live.get(key(id)) ?? (await state.get<Session>(key(id)))?.value;
      if (!session) throw new ReviewError("E_UNAUTHENTICATED", "session unknown or signed out: sign in again");
      if (Date.parse(session.expiresAt) <= now()) {
        live.delete(key(id));
        await state.delete(key(id));
        throw new ReviewError("E_UNAUTHENTICATED", "session expired: sign in again");
      }
      return session;
    },
    async signOut(id) {
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return;
      live.delete(key(id));
      await state.delete(key(id));
    },
    async prune() {
      const expired = (await state.values<Session>("session")).filter((e) => Date.parse(e.value.expiresAt) <= now());
      await Promise.all(expired.map((e) => (live.delete(e.key), state.delete(e.key))));
      return expired.length;
    },
    stop: () => watch.stop(),
  };
}

/**
 * Cross-site request checks for every state-changing request: the Origin must be the server's own (or a
 * configured one), and a signed-in request must carry the session's CSRF token.
 */
export function checkOrigin(origin: string | undefined, requestOrigin: string, allowed: readonly string[]): void {
  if (!origin) throw new ReviewError("E_CSRF", "missing Origin header");
  if (origin !== requestOrigin && !allowed.includes(origin)) throw new ReviewError("E_CSRF", `origin ${origin} may not post here`);
}

export function checkCsrf(session: Session, header: string | undefined): void {
  if (!header || !sameSecret(header, session.csrf)) throw new ReviewError("E_CSRF", "missing or wrong x-csrf-token");
}
