import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { defaultPolicyPath } from "../../policy/index.js";
import { startFakeMastodon, type FakeMastodon } from "../../shared/fake-services/index.js";
import { mulberry32 } from "../../shared/prng/index.js";
import { startAgents, type TestMesh } from "./mesh.js";
import type { TestNats } from "./nats.js";

export interface SocialMeshOptions {
  readonly replicas: number;
  /** The policy's posting budget (social-post-budget), per window. */
  readonly budget: { readonly limit: number; readonly windowMs: number };
  /** The fake platform's own posting limit, per window. */
  readonly platform: { readonly postLimit: number; readonly windowMs: number };
  readonly env?: Record<string, string>;
}

export interface SocialMesh {
  readonly platform: FakeMastodon;
  readonly mesh: TestMesh;
  /** Adds accounts and statuses on the platform (POST /_admin/...). */
  admin(path: string, body: unknown): Promise<unknown>;
}

/**
 * The fake Mastodon, ingest and `replicas` social connectors on `nats`, with the policy's posting budget set to
 * `budget` (a copy of the shipped document, only that obligation changed).
 */
export async function startSocialMesh(t: TestContext, nats: TestNats, opts: SocialMeshOptions): Promise<SocialMesh> {
  const token = "test-social-token";
  const platform = await startFakeMastodon({ token, postLimit: opts.platform.postLimit, windowMs: opts.platform.windowMs });
  t.after(() => platform.close());
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const budgeted = policy.replace(/(\{ kind: rate_limit, key: "social:post-budget", )limit: \d+, windowMs: \d+/, `$1limit: ${opts.budget.limit}, windowMs: ${opts.budget.windowMs}`);
  if (budgeted === policy) throw new Error("the social-post-budget obligation was not found in the policy document");
  const policyFile = join(nats.dir, "social-policy.yaml");
  writeFileSync(policyFile, budgeted);
  const env = { POLICY_FILE: policyFile, SOCIAL_BASE_URL: platform.url, SOCIAL_TOKEN: token, SOCIAL_POLL_MS: "100", BACKOFF_BASE_MS: "200", BACKOFF_MAX_MS: "1000", MAX_PARKED_DELIVERIES: "1000", ...opts.env };
  const mesh = await startAgents(t, nats, [], env);
  // The first replica declares the connector's consumer; the rest start together with ingest (start-up is most of a short test).
  await mesh.start("social", env);
  await Promise.all([mesh.start("ingest", env), ...Array.from({ length: opts.replicas - 1 }, () => mesh.start("social", env))]);
  const admin = async (path: string, body: unknown) => {
    const res = await fetch(`${platform.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`fake Mastodon ${path} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  return { platform, mesh, admin };
}

export interface Crowd {
  readonly accounts: { id: string; acct: string; bot: boolean; locked: boolean }[];
  readonly bots: ReadonlySet<string>;
  readonly locked: ReadonlySet<string>;
}

/** `people` ordinary accounts plus `bots` bot and `locked` locked ones (ids from 100). */
export function crowd(people: number, bots: number, locked: number): Crowd {
  const accounts = [
    ...Array.from({ length: people }, (_, i) => ({ id: String(100 + i), acct: `person${i}`, bot: false, locked: false })),
    ...Array.from({ length: bots }, (_, i) => ({ id: String(100 + people + i), acct: `bot${i}`, bot: true, locked: false })),
    ...Array.from({ length: locked }, (_, i) => ({ id: String(100 + people + bots + i), acct: `quiet${i}`, bot: false, locked: true })),
  ];
  return { accounts, bots: new Set(accounts.filter((a) => a.bot).map((a) => a.id)), locked: new Set(accounts.filter((a) => a.locked).map((a) => a.id)) };
}

/**
 * `count` mentions over `threads` threads by random authors of the crowd (seeded), some by the mesh's own account:
 * the first mention of each thread starts it, the rest reply to it or to an earlier mention in it. The own account's
 * mentions start threads of their own, so each reaches the policy's check whatever order replicas take them in
 * (in a thread already answered, a mention is skipped before any post is tried).
 */
export function mentionBurst(c: Crowd, count: number, threads: number, ownAccountId: string, seed = 15) {
  const rnd = mulberry32(seed);
  const inThread: string[][] = Array.from({ length: threads }, () => []);
  return Array.from({ length: count }, (_, i) => {
    const own = i % 97 === 0;
    const thread = Math.floor(rnd() * threads);
    const author = own ? ownAccountId : c.accounts[Math.floor(rnd() * c.accounts.length)]!.id;
    const earlier = own ? [] : inThread[thread]!;
    const id = `5${String(i).padStart(6, "0")}`;
    const parent = earlier.length ? earlier[Math.floor(rnd() * earlier.length)] : undefined;
    earlier.push(id);
    return { id, authorId: author, text: `mention ${i} about my order`, ...(parent ? { inReplyToId: parent } : {}), mentionsSelf: true };
  });
}
