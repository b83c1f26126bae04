import assert from "node:assert/strict";
import { test } from "node:test";
import { freePort } from "../../cli/local-nats.js";
import { readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { pinLabel, pinReply, startStandIn } from "../../shared/models/index.js";
import { endpoint } from "../unit/models/fixtures.js";
import { startNats } from "../helpers/nats.js";
import { crowd, startSocialMesh, type SocialMesh } from "../helpers/social-mesh.js";
import { waitFor } from "../helpers/wait.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";

type Result = { envelopeId: string; source: { id: string }; result: { replied: boolean; reason?: string; mode?: string; draft?: string; topic?: string } };

async function results(bus: Bus): Promise<Result[]> {
  return (await readStream(bus, streamNames.result, { filterSubject: subjects.result("social") })).map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as Result);
}

async function reviewRequests(bus: Bus): Promise<{ envelopeId: string; code: string }[]> {
  return (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("social") })).map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { envelopeId: string; code: string });
}

const resultOf = (bus: Bus, statusId: string) =>
  waitFor(`the result of mention ${statusId}`, async () => (await results(bus)).find((r) => r.source.id === statusId), { timeoutMs: 60_000 });

/** The social mesh with the review agent beside it, and an approver signed in to its API. */
async function withReview(t: Parameters<typeof startSocialMesh>[0], env: Record<string, string>): Promise<{ social: SocialMesh; bus: Bus; approve(id: string): Promise<void> }> {
  const nats = await startNats(t);
  const port = await freePort();
  const reviewEnv = { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens };
  const social = await startSocialMesh(t, nats, { replicas: 2, budget: { limit: 100, windowMs: 1000 }, platform: { postLimit: 1000, windowMs: 1000 }, env: { ...env, ...reviewEnv } });
  await social.mesh.start("review", reviewEnv);
  await social.admin("/_admin/accounts", crowd(20, 0, 0).accounts);
  const bob = new Client(`http://127.0.0.1:${port}`);
  await bob.signIn(tokens.bob);
  return {
    social,
    bus: await nats.connect(),
    async approve(id) {
      await waitFor(`item ${id} in the review queue`, async () => (await bob.request("GET", `/api/items/${id}`)).status === 200, { timeoutMs: 60_000 });
      assert.equal((await bob.request("POST", `/api/items/${id}/claim`)).status, 200);
      const decided = await bob.request("POST", `/api/items/${id}/decision`, { decision: "approve", confirmed: true });
      assert.equal(decided.status, 200, decided.text);
    },
  };
}

test("a negative pile-on on a thread pauses auto-replies there and creates one review item; its approval resumes them", { timeout: 180_000 }, async (t) => {
  // Shadow mode: no reply is posted, so no claim hides the pause (an answered thread is skipped anyway).
  const { social, bus, approve } = await withReview(t, { SOCIAL_MODE: "shadow", SOCIAL_PILE_ON_COUNT: "3" });
  const angry = ["this is terrible, awful service", "worst experience ever, horrible", "awful, terrible, I hate this"];
  await social.admin("/_admin/statuses", [
    { id: "700", authorId: "100", text: angry[0]! },
    { id: "701", authorId: "101", text: angry[1]!, inReplyToId: "700" },
    { id: "702", authorId: "102", text: angry[2]!, inReplyToId: "701" },
    { id: "710", authorId: "110", text: "hello, a question about opening hours" },
  ]);
  const requests = await waitFor("the pile-on's review item", async () => {
    const r = (await reviewRequests(bus)).filter((q) => q.code === "pile_on");
    return r.length > 0 && (await results(bus)).filter((x) => ["700", "701", "702"].includes(x.source.id)).length === 2 ? r : undefined;
  }, { timeoutMs: 90_000 });
  assert.equal(requests.length, 1, "one review item per pile-on");
  assert.ok((await resultOf(bus, "710")).result.draft, "another thread is not paused");

  await social.admin("/_admin/statuses", [{ id: "703", authorId: "103", text: "any news on this?", inReplyToId: "700" }]);
  assert.match((await resultOf(bus, "703")).result.reason ?? "", /auto-replies on this thread are paused/);

  await approve(requests[0]!.envelopeId);
  const reviewed = await waitFor("the pile-on's review resumed", async () => (await results(bus)).find((r) => r.envelopeId === requests[0]!.envelopeId));
  assert.match(reviewed.result.reason ?? "", /auto-replies resume/);
  await social.admin("/_admin/statuses", [{ id: "704", authorId: "104", text: "thanks for looking into it", inReplyToId: "700" }]);
  assert.equal((await resultOf(bus, "704")).result.mode, "shadow", "after the review the thread is answered again");
});

test("a reply on a high-risk topic waits for a human's approval and is posted once approved", { timeout: 180_000 }, async (t) => {
  const { social, bus, approve } = await withReview(t, {});
  await social.admin("/_admin/statuses", [
    { id: "800", authorId: "100", text: "I want a refund for my order" },
    { id: "810", authorId: "110", text: "what time do you open tomorrow?" },
  ]);
  const id = envelopeId({ system: "mastodon", id: "800" });
  const request = await waitFor("the high-risk reply in review", async () => (await reviewRequests(bus)).find((r) => r.envelopeId === id));
  assert.equal(request.code, "approval_required");
  await waitFor("the ordinary mention answered", async () => social.platform.posts.some((p) => p.inReplyToId === "810"));
  assert.equal(social.platform.posts.filter((p) => p.inReplyToId === "800").length, 0, "nothing is posted before the approval");
  assert.equal((await results(bus)).filter((r) => r.envelopeId === id).length, 0);

  await approve(id);
  const done = await waitFor("the approved reply's result", async () => (await results(bus)).find((r) => r.envelopeId === id));
  assert.equal(done.result.replied, true);
  assert.equal(done.result.topic, "refund");
  assert.equal(social.platform.posts.filter((p) => p.inReplyToId === "800").length, 1, "posted once, after the approval");
});

test("an LLM draft making a promise the policy forbids is withheld and the acknowledgement posted instead; a mention no model is sure about goes to a human", { timeout: 180_000 }, async (t) => {
  const standIn = await startStandIn({ port: 0 });
  t.after(() => standIn.close());
  const { social, bus } = await withReview(t, { MODEL_ENDPOINTS: JSON.stringify([endpoint(standIn)]) });
  await social.admin("/_admin/statuses", [
    { id: "900", authorId: "100", text: `where is my parcel? ${pinReply("So sorry! We will refund you in full today.")}` },
    { id: "901", authorId: "101", text: `where is my other parcel? ${pinReply("Sorry about that, a colleague will look into it.")}` },
    // Two topics named (refund, legal): the small model is unsure, the LLM too (pinned low), so a human decides.
    { id: "910", authorId: "110", text: `refund me or my lawyer calls ${pinLabel("refund", 0.3)}` },
  ]);
  await waitFor("both drafts' replies posted", async () => social.platform.posts.filter((p) => ["900", "901"].includes(p.inReplyToId ?? "")).length === 2, { timeoutMs: 90_000 });
  const replyTo = (id: string) => social.platform.posts.find((p) => p.inReplyToId === id)!.text;
  assert.doesNotMatch(replyTo("900"), /refund/i, "the promise never reached the platform");
  assert.match(replyTo("900"), /our team has seen your message/i);
  assert.match(replyTo("901"), /a colleague will look into it/, "a draft that promises nothing is posted as drafted");
  const unsure = await waitFor("the unsure mention in review", async () => (await reviewRequests(bus)).find((r) => r.envelopeId === envelopeId({ system: "mastodon", id: "910" })));
  assert.equal(unsure.code, "low_confidence", "escalated for want of a sure model");
  assert.ok(standIn.requests().some((r) => r.path.includes("chat/completions")), "the LLM was asked before the human");
  assert.equal(social.platform.posts.filter((p) => p.inReplyToId === "910").length, 0);
});
