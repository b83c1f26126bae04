import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { MeshError, describeIssues, documentRefV1, type DocumentRef, type ReviewDecision, type ReviewDecisionInput, type ServiceContext, type TaskEnvelope } from "../../shared/runtime/index.js";
import { getConnInfo } from "@hono/node-server/conninfo";
import { checkCsrf, checkOrigin, sessionCookie, type Session, type Sessions } from "./auth.js";
import { ReviewError } from "./errors.js";
import { decisionForm, validateCorrections } from "./decision-forms.js";
import { notBulkApprovable, suggestionOf } from "./bulk-approve.js";
import { approvalStep } from "./four-eyes.js";
import type { QueueIndex } from "./queue-index.js";
import { parseQueueQuery, queuePage } from "./queue-query.js";
import { canTake, mayReview, type Queue, type QueueItem } from "./queue.js";
import type { Reviewer } from "./settings.js";
import { signInKeys, type SignInLimiter } from "./sign-in-limit.js";
import { labelText, readSuggestions, summaryOf, viewOf } from "./snapshot.js";

export interface ReviewAppDeps {
  readonly queue: Queue;
  /** The open queue in order, following the state store: what a page is cut from. */
  readonly index: QueueIndex;
  readonly sessions: Sessions;
  /** The reviewers sign-in tokens name, by id (for assignment). */
  readonly reviewers: readonly Reviewer[];
  readonly decide: (input: ReviewDecisionInput) => Promise<ReviewDecision>;
  /** Records one approver's signed approval of an item that needs more (four-eyes). */
  readonly approve: ServiceContext["approve"];
  readonly approversFor: ServiceContext["approversFor"];
  /** Envelopes with their personal fields opened for this reviewer, when policy allows (the runtime's door). */
  readonly revealForReviewer: (envelopes: readonly TaskEnvelope[], reviewer: Reviewer) => Promise<TaskEnvelope[]>;
  /** A document's bytes for this reviewer: policy decides on the reviewer's roles, audited, digest checked (the runtime's door). */
  readonly documentForReviewer: (ref: DocumentRef, task: TaskEnvelope, reviewer: Reviewer) => Promise<Uint8Array>;
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Origins besides the server's own allowed to POST (a proxy's public origin). */
  readonly allowedOrigins?: readonly string[];
  readonly secureCookie?: boolean;
  readonly sessionTtlMs: number;
  /** Failed sign-ins per client address and per token. */
  readonly signInLimit: SignInLimiter;
  readonly now?: () => number;
  /** Called for every decision and every four-eyes approval (reviewer metrics). */
  readonly onDecided?: (flow: string, reviewer: string, decision: "approve" | "correct" | "reject" | "approval") => void;
  /** Called when a reviewer acts on an item another already approved: did they approve the same values? */
  readonly onSecondOpinion?: (flow: string, agreed: boolean) => void;
}

type Env = { Variables: { session: Session } };

/** A decision, or an approval recorded while the item waits for more approvers. */
type DecisionOutcome = { decision: ReviewDecision } | { pending: { approvals: number; needed: number } };

const uiDir = new URL("./ui/", import.meta.url);
const assets: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/ui/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/ui/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};
/** pdf.js renders a document's page in the browser; served from here so the page loads nothing from another origin. */
const pdfjsAssets: Record<string, string> = {
  "/ui/pdf.min.mjs": "pdfjs-dist/build/pdf.min.mjs",
  "/ui/pdf.worker.min.mjs": "pdfjs-dist/build/pdf.worker.min.mjs",
};
const requireFromHere = createRequire(import.meta.url);

/** No inline script or style, nothing from another origin, no framing: task text can never run as code. TLS (and
 *  so Strict-Transport-Security) belongs to the proxy in front. */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    // pdf.js parses the document in a worker loaded from this origin.
    workerSrc: ["'self'"],
    formAction: ["'self'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  strictTransportSecurity: false,
});

const itemId = z.string().regex(/^env_[0-9a-f]{32}$/);
const comment = z.string().max(2000).optional();
const signInBody = z.object({ token: z.string().min(1).max(512) });
const assignBody = z.object({ reviewer: z.string().min(1).max(128) });
/** Low-risk items approved together: each must carry this very suggestion. */
const bulkBody = z.object({
  ids: z.array(itemId).min(1).max(100).refine((ids) => new Set(ids).size === ids.length, "must not repeat an item"),
  suggestion: z.string().min(1).max(200),
});
/** A high-risk approval must say it was confirmed (the page asks in a dialog). */
const confirmed = z.boolean().optional();
const decisionBody = z.discriminatedUnion("decision", [
  z.object({ decision: z.literal("approve"), comment, confirmed }),
  z.object({ decision: z.literal("correct"), corrections: z.record(z.string(), z.unknown()), comment, confirmed }),
  z.object({ decision: z.literal("reject"), reasonCode: z.string().min(1).max(64), comment }),
]);

async function parseBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ReviewError("E_SCHEMA", "body: must be JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ReviewError("E_SCHEMA", `body: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function idParam(c: Context): string {
  const parsed = itemId.safeParse(c.req.param("id"));
  if (!parsed.success) throw new ReviewError("E_NOT_FOUND", "no such review item");
  return parsed.data;
}

/**
 * The review service's HTTP surface: the page and its assets, sign-in, the queue, one item's context, and
 * the reviewer's actions. Every /api route but sign-in needs a session; every POST needs a same-origin
 * Origin and, once signed in, the session's CSRF token.
 * @example serve({ fetch: createReviewApp(deps).fetch, port: 8080 })
 */
export function createReviewApp(deps: ReviewAppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const files: Record<string, { body: string; type: string }> = Object.fromEntries([
    ...Object.entries(assets).map(([route, a]) => [route, { body: readFileSync(new URL(a.file, uiDir), "utf8"), type: a.type }]),
    ...Object.entries(pdfjsAssets).map(([route, module]) => [route, { body: readFileSync(requireFromHere.resolve(module), "utf8"), type: "text/javascript; charset=utf-8" }]),
  ]);

  app.use("*", securityHeaders, async function noStore(c, next) {
    await next();
    c.header("Cache-Control", "no-store");
  });

  app.onError(function reviewErrors(err, c) {
    if (err instanceof ReviewError) {
      if (err.retryAfterSeconds !== undefined) c.header("Retry-After", String(err.retryAfterSeconds));
      return c.json({ error: { code: err.code, message: err.message } }, err.status);
    }
    if (err instanceof MeshError && err.code === "E_POLICY_DENY")
      return c.json({ error: { code: "E_FORBIDDEN", message: `policy: ${err.message}` } }, 403);
    if (err instanceof MeshError && err.transient)
      return c.json({ error: { code: err.code, message: `try again shortly: ${err.message}` } }, 503);
    deps.log.error({ err }, "review request failed");
    return c.json({ error: { code: "E_INTERNAL", message: "internal error" } }, 500);
  });

  for (const [route, f] of Object.entries(files)) app.get(route, (c) => c.body(f.body, 200, { "Content-Type": f.type }));

  app.use("/api/*", bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: { code: "E_SCHEMA", message: "body too large" } }, 413) }));

  app.use("/api/*", async function originCheck(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD")
      checkOrigin(c.req.header("origin"), new URL(c.req.url).origin, deps.allowedOrigins ?? []);
    await next();
  });

  app.post("/api/session", async (c) => {
    const { token } = await parseBody(c, signInBody);
    const keys = signInKeys(getConnInfo(c).remote.address ?? "unknown", token);
    const waitMs = deps.signInLimit.retryAfterMs(keys);
    if (waitMs > 0) throw new ReviewError("E_RATE_LIMITED", "too many failed sign-ins: wait before trying again", Math.ceil(waitMs / 1000));
    const { id, session } = await deps.sessions.signIn(token).catch((err: unknown) => {
      if (err instanceof ReviewError && err.code === "E_UNAUTHENTICATED") deps.signInLimit.failed(keys);
      throw err;
    });
    setCookie(c, sessionCookie, id, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: deps.secureCookie ?? false,
      maxAge: Math.floor(deps.sessionTtlMs / 1000),
    });
    return c.json({ reviewer: session.reviewer, csrfToken: session.csrf });
  });

  app.use("/api/*", async function authenticate(c, next) {
    const session = await deps.sessions.resolve(getCookie(c, sessionCookie));
    if (c.req.method !== "GET" && c.req.method !== "HEAD") checkCsrf(session, c.req.header("x-csrf-token"));
    c.set("session", session);
    await next();
  });

  app.get("/api/session", (c) => {
    const s = c.get("session");
    return c.json({ reviewer: s.reviewer, csrfToken: s.csrf });
  });

  app.post("/api/session/end", async (c) => {
    await deps.sessions.signOut(getCookie(c, sessionCookie));
    deleteCookie(c, sessionCookie, { path: "/" });
    return c.json({ ok: true });
  });

  app.use("/api/*", async function reviewRole(c, next) {
    const { reviewer } = c.get("session");
    if (!mayReview(reviewer)) throw new ReviewError("E_FORBIDDEN", `${reviewer.id} has neither the reviewer nor the approver role`);
    await next();
  });

  /**
   * Items as this reviewer may see them: the stored request keeps its sealed envelope (decisions publish that one);
   * the copy shown has the personal fields opened, then redacted like all task text on this screen.
   */
  async function shown(items: readonly QueueItem[], reviewer: Reviewer): Promise<QueueItem[]> {
    const envelopes = await deps.revealForReviewer(items.map((i) => i.request.envelope), reviewer);
    return items.map((item, i) => ({ ...item, request: { ...item.request, envelope: envelopes[i]! } }));
  }
  const view = async (item: QueueItem, reviewer: Reviewer) => viewOf((await shown([item], reviewer))[0]!);

  app.get("/api/queue", async (c) => {
    const query = parseQueueQuery(c.req.query());
    const { reviewer } = c.get("session");
    const summarise = async (ids: readonly string[]) => {
      const stored = deps.index.items(ids);
      // Policy is asked about the stored (sealed) request, whose digest the runtime checks; the row shows the opened one.
      const bulk = stored.map((item) => canTake(item, reviewer) && notBulkApprovable(item, deps.approversFor) === null);
      return (await shown(stored, reviewer)).map((item, i) => ({ ...summaryOf(item), bulkApprovable: bulk[i]! }));
    };
    return c.json(await queuePage(deps.index, query, reviewer.id, (deps.now ?? Date.now)(), summarise));
  });

  app.get("/api/items/:id", async (c) => {
    const item = await deps.queue.get(idParam(c));
    if (!item) throw new ReviewError("E_NOT_FOUND", "no such review item");
    return c.json(await view(item, c.get("session").reviewer));
  });

  /**
   * The document an open item's task names, as stored: only while the item is in the queue, only the reference the
   * task carries (the runtime refuses bytes that do not hash to its digest), read as this reviewer.
   */
  app.get("/api/items/:id/document", async (c) => {
    const item = await deps.queue.get(idParam(c));
    if (!item || item.status === "decided") throw new ReviewError("E_NOT_FOUND", "no such review item in the queue");
    const envelope = item.request.envelope;
    const ref = documentRefV1.safeParse((envelope.payload as { document?: unknown } | undefined)?.document);
    if (!ref.success) throw new ReviewError("E_NOT_FOUND", `item ${item.id} names no document: payload.document ${describeIssues(ref.error.issues)}`);
    const bytes = await deps.documentForReviewer(ref.data, envelope, c.get("session").reviewer).catch((err: unknown) => {
      // Gone from the store, grown past the reference's size, or bytes that do not hash to its digest.
      if (err instanceof MeshError && err.code === "E_SCHEMA") throw new ReviewError("E_CONFLICT", `the stored document does not match item ${item.id}'s reference: ${err.message}`);
      throw err;
    });
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { "Content-Type": ref.data.contentType, "Content-Disposition": "inline" });
  });

  app.post("/api/items/:id/claim", async (c) => {
    const item = await deps.queue.claim(idParam(c), c.get("session").reviewer);
    return c.json(await view(item, c.get("session").reviewer));
  });

  app.post("/api/items/:id/release", async (c) => {
    const item = await deps.queue.release(idParam(c), c.get("session").reviewer);
    return c.json(await view(item, c.get("session").reviewer));
  });

  app.get("/api/items/:id/assignees", async (c) => {
    const item = await deps.queue.get(idParam(c));
    if (!item) throw new ReviewError("E_NOT_FOUND", "no such review item");
    return c.json({ reviewers: deps.reviewers.filter((r) => canTake(item, r)).map((r) => ({ id: r.id, roles: r.roles })) });
  });

  app.post("/api/items/:id/assign", async (c) => {
    const id = idParam(c);
    const { reviewer: assigneeId } = await parseBody(c, assignBody);
    const assignee = deps.reviewers.find((r) => r.id === assigneeId);
    if (!assignee) throw new ReviewError("E_SCHEMA", `reviewer: no reviewer ${assigneeId}`);
    const item = await deps.queue.assign(id, assignee, c.get("session").reviewer);
    return c.json(await view(item, c.get("session").reviewer));
  });

  // A double submit in this process would publish twice (deduplicated downstream) and count twice here.
  const deciding = new Set<string>();
  app.post("/api/items/:id/decision", async (c) => {
    const id = idParam(c);
    const { reviewer } = c.get("session");
    const body = await parseBody(c, decisionBody);
    if (deciding.has(id)) throw new ReviewError("E_CONFLICT", `item ${id} is being decided`);
    deciding.add(id);
    try {
      return c.json(await decideItem(id, reviewer, body));
    } finally {
      deciding.delete(id);
    }
  });

  /**
   * Approves several low-risk items with the same suggestion at once. Nothing is decided unless every item may be
   * (policy says low-risk, the suggestion is the one named); then each item is claimed and decided on its own, so
   * each gets its own signed decision, audit record and label, and one lost to another reviewer fails alone.
   */
  app.post("/api/bulk/approve", async (c) => {
    const { reviewer } = c.get("session");
    const { ids, suggestion } = await parseBody(c, bulkBody);
    const items = await Promise.all(ids.map((id) => deps.queue.get(id)));
    items.forEach((item, i) => {
      if (!item) throw new ReviewError("E_NOT_FOUND", `ids.${i}: no such review item ${ids[i]}`);
      const why = canTake(item, reviewer) ? notBulkApprovable(item, deps.approversFor) : `${reviewer.id} may not take it`;
      if (why) throw new ReviewError("E_FORBIDDEN", `ids.${i}: item ${item.id} cannot be bulk-approved: ${why}`);
      if (suggestionOf(item) !== suggestion)
        throw new ReviewError("E_SCHEMA", `ids.${i}: item ${item.id} suggests ${suggestionOf(item)}, not ${suggestion}: bulk approval takes identical suggestions`);
    });
    const results: { id: string; approved: boolean; error?: string }[] = [];
    for (const item of items as QueueItem[]) {
      if (deciding.has(item.id)) {
        results.push({ id: item.id, approved: false, error: `item ${item.id} is being decided` });
        continue;
      }
      deciding.add(item.id);
      let claimedNow = false;
      try {
        if (item.claim?.reviewer !== reviewer.id) {
          await deps.queue.claim(item.id, reviewer);
          claimedNow = true;
        }
        await decideItem(item.id, reviewer, { decision: "approve" }, suggestion);
        results.push({ id: item.id, approved: true });
      } catch (err) {
        if (claimedNow) await deps.queue.release(item.id, reviewer).catch(() => undefined);
        if (!(err instanceof ReviewError || (err instanceof MeshError && (err.code === "E_POLICY_DENY" || err.transient)))) deps.log.error({ err, id: item.id }, "bulk approval failed");
        results.push({ id: item.id, approved: false, error: err instanceof Error ? err.message : String(err) });
      } finally {
        deciding.delete(item.id);
      }
    }
    return c.json({ approved: results.filter((r) => r.approved).length, results });
  });

  /** `expected`: the suggestion a bulk approval named; the item is refused if the model's suggestion is another by now. */
  async function decideItem(id: string, reviewer: Session["reviewer"], body: z.infer<typeof decisionBody>, expected?: string): Promise<DecisionOutcome> {
    const item = await deps.queue.assertDecidable(id, reviewer);
    if (expected !== undefined && (suggestionOf(item) !== expected || notBulkApprovable(item, deps.approversFor)))
      throw new ReviewError("E_CONFLICT", `item ${id} changed since it was chosen for bulk approval`);
    const request = item.request;
    const form = decisionForm(item.flow);
    const suggested = form.approve.needsSuggestion ? form.fields[0] : undefined;
    const { prediction } = readSuggestions(request);
    const pending = (item.approvals?.length ?? 0) > 0;
    if (body.decision === "approve" && suggested && !prediction?.label && !pending)
      throw new ReviewError("E_SCHEMA", `decision: no model suggested a ${suggested.path} to approve; correct it instead`);
    if (body.decision === "approve" && form.approve.needsReason && !body.comment?.trim())
      throw new ReviewError("E_SCHEMA", `comment: "${form.approve.label}" needs the reviewer's reason`);
    if (body.decision === "reject" && !form.rejectReasons.some((r) => r.code === body.reasonCode))
      throw new ReviewError("E_SCHEMA", `reasonCode: must be one of ${form.rejectReasons.map((r) => r.code).join(", ")} for flow ${item.flow}`);
    if (body.decision !== "reject" && item.requiresApproval && body.confirmed !== true)
      throw new ReviewError("E_SCHEMA", "confirmed: approving an item held for approval needs an explicit confirmation");
    // What the reviewer saw: personal fields opened. Corrections compare against it; the label is made from it, redacted.
    const seen = (await shown([item], reviewer))[0]!.request;
    const current = (seen.envelope.payload ?? {}) as Record<string, unknown>;
    const corrections = body.decision === "correct" ? validateCorrections(item.flow, body.corrections, current) : undefined;
    // An approval carries the value the reviewer saw, so the task resumes with exactly that, not a re-run's guess.
    const approved = body.decision === "approve" && suggested && prediction?.label ? { [suggested.path]: prediction.label } : undefined;
    const step = body.decision === "reject" ? undefined : approvalStep(item, reviewer, body.decision, corrections ?? approved, (v) => deps.approversFor(request, v));
    const comment = body.comment?.trim() ? { comment: body.comment.trim() } : {};
    // A second person looked at what another approved: the same values agree, other values or a rejection do not.
    const secondOpinion = () => pending && deps.onSecondOpinion?.(item.flow, step !== undefined && step.kept.length === item.approvals!.length);

    if (step && step.kept.length + 1 < step.needed) {
      const approval = await deps.approve({ request, reviewer, decision: body.decision as "approve" | "correct", ...(step.values ? { corrections: step.values } : {}), ...comment });
      await deps.queue.recordApproval(id, reviewer, [...step.kept, approval], step.needed);
      deps.onDecided?.(item.flow, reviewer.id, "approval");
      secondOpinion();
      return { pending: { approvals: step.kept.length + 1, needed: step.needed } };
    }

    const decision = step?.decision ?? "reject";
    const values = step?.values;
    const text = labelText(seen);
    const label =
      text !== null && decision !== "reject"
        ? {
            text,
            prediction: prediction?.label ?? null,
            correction: decision === "correct" && suggested && typeof values?.[suggested.path] === "string" ? (values[suggested.path] as string) : null,
            modelVersion: prediction?.version ?? null,
            tier: prediction?.tier ?? null,
            confidence: prediction?.confidence ?? null,
          }
        : undefined;
    const recorded = await deps.decide({
      request,
      reviewer,
      decision,
      ...(values ? { corrections: values } : {}),
      ...(body.decision === "reject" ? { reasonCode: body.reasonCode } : {}),
      ...comment,
      ...(step?.kept.length ? { approvals: step.kept } : {}),
      ...(label ? { label } : {}),
    });
    await deps.queue.markDecided(id, reviewer, {
      decision,
      reviewer: reviewer.id,
      at: recorded.decidedAt,
      leadTimeMs: recorded.leadTimeMs,
    });
    deps.onDecided?.(item.flow, reviewer.id, decision);
    secondOpinion();
    return { decision: recorded };
  }

  return app;
}
