import { createHash } from "node:crypto";
import { z } from "zod";
import { MeshError, PolicyDeniedError, TransientError, type AgentContext, type ReviewDecision, type SocialMentionPayload, type TaskEnvelope } from "../../shared/runtime/index.js";
import { backoffKey, backoffUntil, claim, controlKey, readControl, release, type Control } from "./control.js";
import type { Connector } from "./connector.js";
import { pileOnGuard } from "./pile-on.js";
import { holdForShare } from "./platform-budget.js";
import { moodOf, type Mood } from "./sentiment.js";

/** One reply per thread and per author in this long. */
export const claimTtlMs = 24 * 3600_000;
/** The small model (shared/models/social-topic.ts) whose label is the category policy decides high-risk topics on. */
export const topicClassifier = "social-topic";
/** Who a stop the platform caused (a 403) is recorded as, in the switch. */
const stoppedBy = "social";

/** Why a mention went to a human, kept until the decision comes back (KV `review.<envelope>`). */
const pendingSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("pile-on"), scope: z.string() }),
  z.object({ kind: z.literal("reply"), draft: z.string().nullable(), topic: z.string().nullable() }),
]);
type Pending = z.infer<typeof pendingSchema>;

/**
 * Answers one mention. Its mood (AFINN) is counted first: a burst of negative mentions on its thread pauses
 * auto-replies there and this mention becomes the review item. Then the switch (paused: nothing), the claims on
 * thread and author, the topic (the small model, the LLM when unsure, else a human), a draft (the LLM through the
 * output checks, else the acknowledgement), the topic's own pile-on, and in shadow mode the draft is the result.
 * The post itself is a tool call policy decides on the task's facts: who may be answered, the posting budget, and
 * a high-risk topic (the classifier's label) waits for a human's approval.
 */
export async function replyToMention(task: TaskEnvelope, ctx: AgentContext, connector: Connector): Promise<void> {
  const { state, metrics, settings } = connector;
  const mention = task.payload as SocialMentionPayload;
  const { mood } = moodOf(mention.text);
  metrics.mesh_social_sentiment_total.inc({ sentiment: mood });
  const mode = await modeOf(connector);
  if (mode === "paused") return skip(ctx, connector, "paused");
  const pile = pileOnGuard(state, { count: settings.SOCIAL_PILE_ON_COUNT, windowMs: settings.SOCIAL_PILE_ON_WINDOW_MS });
  const thread = `thread:${mention.thread}`;
  if (mood === "negative" && (await pile.negative(thread))) return escalatePileOn(task, ctx, connector, thread);
  if (await pile.paused(thread)) return skip(ctx, connector, "auto-replies on this thread are paused: a pile-on is with a human");

  const taken: string[] = [];
  if (mode === "live") {
    for (const key of claimKeys(mention)) {
      if (!(await claim(state, key, claimTtlMs))) {
        await Promise.all(taken.map((k) => release(state, k)));
        return skip(ctx, connector, key.startsWith("thread.") ? "thread answered in the last 24 h" : "author answered in the last 24 h");
      }
      taken.push(key);
    }
  }
  const topic = await ctx.classify(topicClassifier, mention.text);
  if (topic.decision === "escalate" || topic.label === null) {
    // The claims stay taken: the thread and author are being answered, by a human.
    await remember(connector, task, { kind: "reply", draft: null, topic: topic.label });
    metrics.mesh_social_replies_total.inc({ outcome: "escalated" });
    return ctx.escalate({ code: topic.reasonCode ?? "low_confidence", reason: topic.reason ?? "no model was sure what the mention is about", suggestions: topic.tried, snapshot: { mood } });
  }
  const about = `topic:${topic.label}`;
  if (mood === "negative" && (await pile.negative(about))) {
    await Promise.all(taken.map((k) => release(state, k)));
    return escalatePileOn(task, ctx, connector, about);
  }
  if (await pile.paused(about)) {
    await Promise.all(taken.map((k) => release(state, k)));
    return skip(ctx, connector, `auto-replies on topic ${topic.label} are paused: a pile-on is with a human`);
  }
  const draft = await draftReply(ctx, mention.text, topic.label);
  if (mode === "shadow") {
    metrics.mesh_social_replies_total.inc({ outcome: "drafted" });
    return ctx.complete({ replied: false, mode: "shadow", draft, topic: topic.label, mood });
  }
  return post(task, ctx, connector, { draft, topic: topic.label, mood, taken });
}

/**
 * A human decided a mention the connector escalated: a pile-on's review lifts its pause (or keeps it, rejected);
 * a reply's approval posts the draft (a reviewer's `reply` correction wins), with the runtime's verified approval
 * as the fact that lets a high-risk topic through; a rejection gives the claims back and posts nothing.
 */
export async function resumeMention(task: TaskEnvelope, decision: ReviewDecision, ctx: AgentContext, connector: Connector): Promise<void> {
  const { state, settings } = connector;
  const mention = task.payload as SocialMentionPayload;
  const entry = await state.get(pendingKey(task));
  const parsed = pendingSchema.safeParse(entry?.value);
  const pending: Pending = parsed.success ? parsed.data : { kind: "reply", draft: null, topic: null };
  const claims = claimKeys(mention);
  const reviewer = { id: decision.reviewer.id, decidedAt: decision.decidedAt };
  if (pending.kind === "pile-on") {
    if (decision.decision !== "reject") await pileOnGuard(state, { count: settings.SOCIAL_PILE_ON_COUNT, windowMs: settings.SOCIAL_PILE_ON_WINDOW_MS }).lift(pending.scope);
    await state.delete(pendingKey(task));
    return ctx.complete({ replied: false, reason: decision.decision === "reject" ? "pile-on stays paused" : "pile-on reviewed: auto-replies resume", reviewer });
  }
  if (decision.decision === "reject") {
    await Promise.all([...claims.map((k) => release(state, k)), state.delete(pendingKey(task))]);
    return ctx.complete({ replied: false, rejected: true, reasonCode: decision.reasonCode ?? "rejected", reviewer });
  }
  const corrected = z.string().min(1).max(450).safeParse(decision.corrections?.reply);
  const draft = corrected.success ? corrected.data : (pending.draft ?? (await draftReply(ctx, mention.text, pending.topic ?? "general")));
  await state.delete(pendingKey(task));
  return post(task, ctx, connector, { draft, topic: pending.topic, mood: moodOf(mention.text).mood, taken: claims, reviewer });
}

interface Reply {
  readonly draft: string;
  readonly topic: string | null;
  readonly mood: Mood;
  /** Claims held for this reply, given back when it is not posted. */
  readonly taken: readonly string[];
  readonly reviewer?: { readonly id: string; readonly decidedAt: string };
}

/**
 * The post: the switch again (the kill switch reaches a handler that spent a while drafting), the holds (a 429's
 * Retry-After, the share of the platform's limit), then the tool call policy decides on.
 */
async function post(task: TaskEnvelope, ctx: AgentContext, connector: Connector, reply: Reply): Promise<void> {
  const { state, metrics, settings } = connector;
  const mention = task.payload as SocialMentionPayload;
  const giveBack = () => Promise.all(reply.taken.map((k) => release(state, k)));
  const mode = await modeOf(connector);
  if (mode !== "live") {
    await giveBack();
    if (mode === "paused") return skip(ctx, connector, "paused");
    metrics.mesh_social_replies_total.inc({ outcome: "drafted" });
    return ctx.complete({ replied: false, mode: "shadow", draft: reply.draft, topic: reply.topic, mood: reply.mood });
  }
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
      body: { status: `@${mention.author.acct} ${reply.draft}`, in_reply_to_id: mention.statusId, visibility: "public" },
      region: settings.SOCIAL_REGION,
      endpoint: "social-post",
      answerStatuses: [403, 429],
    });
  } catch (err) {
    if (err instanceof PolicyDeniedError && err.approvalReason) {
      // A high-risk topic: the claims stay with the reply a human is deciding on.
      await remember(connector, task, { kind: "reply", draft: reply.draft, topic: reply.topic });
      metrics.mesh_social_replies_total.inc({ outcome: "escalated" });
      return ctx.escalate({
        code: "approval_required",
        reason: `${err.approvalReason}: ${err.message}`,
        suggestions: { reply: reply.draft, topic: reply.topic },
        snapshot: { mood: reply.mood },
        ...(err.approvers ? { approvers: err.approvers } : {}),
      });
    }
    await giveBack();
    if (err instanceof MeshError && err.code === "E_RATE_LIMITED") metrics.mesh_social_replies_total.inc({ outcome: "held" });
    if (!(err instanceof PolicyDeniedError)) throw err;
    metrics.mesh_social_replies_total.inc({ outcome: "refused" });
    return ctx.complete({ replied: false, refusedBy: err.reasons });
  }
  connector.observe(res.headers);
  if (res.status === 429) {
    // Stored first: every moment before the other replicas can read it, they may still post.
    const retryAfterS = z.coerce.number().int().positive().catch(60).parse(res.headers["retry-after"]);
    // Never shortened: a replica's answer to an earlier post must not cut the wait a later 429 asked for.
    await state.put(backoffKey, { until: Math.max(await backoffUntil(state), Date.now() + retryAfterS * 1000) });
    await giveBack();
    metrics.mesh_social_replies_total.inc({ outcome: "held" });
    throw new TransientError("E_RATE_LIMITED", `the platform answered 429: posting waits ${retryAfterS} s (Retry-After)`);
  }
  if (res.status === 403) {
    await giveBack();
    const stop: Control = { mode: "paused", reason: "the platform answered 403: the account may not post", by: stoppedBy, at: new Date().toISOString() };
    await state.put(controlKey, stop);
    metrics.mesh_social_posting_stopped.set(1);
    return skip(ctx, connector, stop.reason);
  }
  metrics.mesh_social_replies_total.inc({ outcome: "posted" });
  const posted = z.object({ id: z.string() }).safeParse(res.body);
  return ctx.complete({ replied: true, topic: reply.topic, mood: reply.mood, ...(posted.success ? { statusId: posted.data.id } : {}), ...(reply.reviewer ? { reviewer: reply.reviewer } : {}) });
}

/** The switch as stored, else the replica's SOCIAL_MODE; the stop alert follows it. */
async function modeOf(connector: Connector): Promise<Control["mode"]> {
  const control = await readControl(connector.state);
  // The alert holds while the stop the platform caused holds; an operator's resume clears it on the next mention.
  connector.metrics.mesh_social_posting_stopped.set(control?.mode === "paused" && control.by === stoppedBy ? 1 : 0);
  return control?.mode ?? connector.settings.SOCIAL_MODE;
}

function skip(ctx: AgentContext, connector: Connector, reason: string): Promise<void> {
  connector.metrics.mesh_social_replies_total.inc({ outcome: "skipped" });
  return ctx.complete({ replied: false, reason });
}

async function escalatePileOn(task: TaskEnvelope, ctx: AgentContext, connector: Connector, scope: string): Promise<void> {
  const { SOCIAL_PILE_ON_COUNT: count, SOCIAL_PILE_ON_WINDOW_MS: windowMs } = connector.settings;
  await remember(connector, task, { kind: "pile-on", scope });
  connector.metrics.mesh_social_replies_total.inc({ outcome: "escalated" });
  connector.metrics.mesh_social_pile_ons_total.inc({ scope: scope.startsWith("thread:") ? "thread" : "topic" });
  return ctx.escalate({
    code: "pile_on",
    reason: `${count} negative mentions on ${scope.startsWith("thread:") ? "this thread" : scope.replace(":", " ")} within ${Math.round(windowMs / 1000)} s: auto-replies there are paused until this review is decided`,
    snapshot: { scope },
  });
}

/**
 * The reply's text: the LLM's draft through the output checks (PII and the policy's content checks), or, when no
 * model may draft or the draft was withheld, the fixed acknowledgement that promises nothing.
 */
async function draftReply(ctx: AgentContext, text: string, topic: string): Promise<string> {
  try {
    const drafted = await ctx.draft({ text, intent: topic, instructions: "A short, public reply on a social network: acknowledge, do not promise outcomes." });
    if (drafted.text) return drafted.text.slice(0, 450);
  } catch (err) {
    if (!(err instanceof MeshError && err.transient)) throw err;
  }
  return acknowledgement;
}

const acknowledgement = "Thanks for reaching out! Our team has seen your message and will follow up here.";

function remember(connector: Connector, task: TaskEnvelope, pending: Pending): Promise<number> {
  return connector.state.put(pendingKey(task), pending);
}

const pendingKey = (task: TaskEnvelope) => `review.${task.id}`;

function claimKeys(mention: SocialMentionPayload): string[] {
  return [`thread.${digestOf(mention.thread)}`, `author.${digestOf(mention.author.id)}`];
}

/** Claim keys name ids by digest: KV keys take few characters, and an author id stays out of the bucket's keys. */
function digestOf(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("hex").slice(0, 32);
}
