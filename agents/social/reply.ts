import { createHash } from "node:crypto";
import { z } from "zod";
import { PolicyDeniedError, TransientError, type AgentContext, type SocialMentionPayload, type TaskEnvelope } from "../../shared/runtime/index.js";
import { backoffKey, backoffUntil, claim, controlKey, readControl, release, type Control } from "./control.js";
import type { Connector } from "./connector.js";
import { holdForShare } from "./platform-budget.js";

/** One reply per thread and per author in this long. */
export const claimTtlMs = 24 * 3600_000;
const RATE_LIMITED = "rate-limited";
/** Who a stop the platform caused (a 403) is recorded as, in the switch. */
const stoppedBy = "social";

/**
 * Answers one mention: the switch first (paused: nothing; shadow: a draft, audited with the task's result), then
 * the holds (a 429's Retry-After, the share of the platform's limit), the claims on its thread and author, and the
 * post itself, a tool call policy decides on the task's facts (never to bots, locked or own accounts, only when
 * mentioned, within the posting budget).
 */
export async function replyToMention(task: TaskEnvelope, ctx: AgentContext, connector: Connector): Promise<void> {
  const { state, metrics, settings } = connector;
  const mention = task.payload as SocialMentionPayload;
  const control = await readControl(state);
  const mode = control?.mode ?? settings.SOCIAL_MODE;
  // The alert holds while the stop the platform caused holds; an operator's resume clears it on the next mention.
  metrics.mesh_social_posting_stopped.set(control?.mode === "paused" && control.by === stoppedBy ? 1 : 0);
  const draft = draftReply();
  if (mode === "paused") {
    metrics.mesh_social_replies_total.inc({ outcome: "skipped" });
    return ctx.complete({ replied: false, reason: "paused" });
  }
  if (mode === "shadow") {
    metrics.mesh_social_replies_total.inc({ outcome: "drafted" });
    return ctx.complete({ replied: false, mode: "shadow", draft });
  }
  const claims = [`thread.${digestOf(mention.thread)}`, `author.${digestOf(mention.author.id)}`];
  const taken: string[] = [];
  for (const key of claims) {
    if (!(await claim(state, key, claimTtlMs))) {
      await Promise.all(taken.map((k) => release(state, k)));
      metrics.mesh_social_replies_total.inc({ outcome: "skipped" });
      return ctx.complete({ replied: false, reason: key.startsWith("thread.") ? "thread answered in the last 24 h" : "author answered in the last 24 h" });
    }
    taken.push(key);
  }
  const giveBack = () => Promise.all(taken.map((k) => release(state, k)));
  // Checked last before the post, so a Retry-After another replica just stored reaches as many posts as it can.
  const hold = Math.max((await backoffUntil(state)) - Date.now(), holdForShare(connector.window, settings.SOCIAL_BUDGET_SHARE));
  if (hold > 0) {
    await giveBack();
    metrics.mesh_social_replies_total.inc({ outcome: "held" });
    throw new TransientError("E_RATE_LIMITED", `posting holds for ${Math.ceil(hold / 1000)} s (the platform's Retry-After or the mesh's share of its limit)`);
  }
  let res;
  try {
    res = await ctx.tool({
      url: `${settings.SOCIAL_BASE_URL}/api/v1/statuses`,
      method: "POST",
      headers: { authorization: `Bearer ${settings.SOCIAL_TOKEN}` },
      body: { status: `@${mention.author.acct} ${draft}`, in_reply_to_id: mention.statusId, visibility: "public" },
      region: settings.SOCIAL_REGION,
      endpoint: "social-post",
      answerStatuses: [403, 429],
    });
  } catch (err) {
    await giveBack();
    if (!(err instanceof PolicyDeniedError)) throw err;
    if (err.reasons.includes(RATE_LIMITED)) {
      metrics.mesh_social_replies_total.inc({ outcome: "held" });
      throw new TransientError("E_RATE_LIMITED", err.message);
    }
    metrics.mesh_social_replies_total.inc({ outcome: "refused" });
    return ctx.complete({ replied: false, refusedBy: err.reasons });
  }
  connector.observe(res.headers);
  if (res.status === 429) {
    // Stored first: every moment before the other replicas can read it, they may still post.
    const retryAfterS = z.coerce.number().int().positive().catch(60).parse(res.headers["retry-after"]);
    await state.put(backoffKey, { until: Date.now() + retryAfterS * 1000 });
    await giveBack();
    metrics.mesh_social_replies_total.inc({ outcome: "held" });
    throw new TransientError("E_RATE_LIMITED", `the platform answered 429: posting waits ${retryAfterS} s (Retry-After)`);
  }
  if (res.status === 403) {
    await giveBack();
    const stop: Control = { mode: "paused", reason: "the platform answered 403: the account may not post", by: stoppedBy, at: new Date().toISOString() };
    await state.put(controlKey, stop);
    metrics.mesh_social_posting_stopped.set(1);
    metrics.mesh_social_replies_total.inc({ outcome: "skipped" });
    return ctx.complete({ replied: false, reason: stop.reason });
  }
  metrics.mesh_social_replies_total.inc({ outcome: "posted" });
  const posted = z.object({ id: z.string() }).safeParse(res.body);
  return ctx.complete({ replied: true, ...(posted.success ? { statusId: posted.data.id } : {}) });
}

/** The reply's text, without the author's handle (results and audit keep no personal data). */
function draftReply(): string {
  return "Thanks for reaching out! Our team has seen your message and will follow up here.";
}

/** Claim keys name ids by digest: KV keys take few characters, and an author id stays out of the bucket's keys. */
function digestOf(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("hex").slice(0, 32);
}
