import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { ReviewDecision, ReviewDecisionInput, ServiceContext, StateStore, TaskEnvelope } from "../../shared/runtime/index.js";
import type { MeshMetrics } from "../../shared/telemetry/index.js";
import { createReviewApp } from "./app.js";
import { openSessions } from "./auth.js";
import { createQueue, type Queue } from "./queue.js";
import { watchQueueIndex, type QueueIndex } from "./queue-index.js";
import { signInLimiter } from "./sign-in-limit.js";
import { parseReviewSettings, settingsForLog, sweepIntervalMs, type Reviewer } from "./settings.js";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

/** What the service needs from the runtime: the agent's ServiceContext satisfies it. */
export interface ReviewServiceDeps {
  readonly state: StateStore;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly decide: (input: ReviewDecisionInput) => Promise<ReviewDecision>;
  readonly approve: ServiceContext["approve"];
  readonly approversFor: ServiceContext["approversFor"];
  readonly revealForReviewer: (envelopes: readonly TaskEnvelope[], reviewer: Reviewer) => Promise<TaskEnvelope[]>;
  readonly documentForReviewer: ServiceContext["documentForReviewer"];
  /** Decision metrics (duration, corrections) are the runtime's: `decide` records them. */
  readonly metrics: Pick<
    MeshMetrics,
          | "mesh_review_queue_depth"
      | "mesh_review_sla_breaches_total"
      | "mesh_review_oldest_pending_age_seconds"
      | "mesh_review_decisions_total"
      | "mesh_review_agreements_total"
      | "mesh_review_disagreements_total"
  >;
  readonly log: Log;
  readonly now?: () => number;
}

export interface RunningReviewService {
  readonly port: number;
  readonly url: string;
  readonly queue: Queue;
  readonly index: QueueIndex;
  /** One SLA sweep now (the timer runs it every sweep interval). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the HTTP API and page on REVIEW_PORT (0: a free port, logged), the SLA sweep and the depth gauge. */
export async function startReviewService(deps: ReviewServiceDeps): Promise<RunningReviewService> {
  const settings = parseReviewSettings(deps.env);
  const now = deps.now ?? Date.now;
  const queue = createQueue(deps.state, { slaMs: settings.REVIEW_SLA_MS, now });
  const sessions = await openSessions(deps.state, { tokens: settings.REVIEW_TOKENS, ttlMs: settings.REVIEW_SESSION_TTL_MS, now });
  const flows = new Set<string>();

  // A flow whose queue emptied keeps its gauges, at 0.
  const refreshDepth = (index: QueueIndex) => {
    const depth = index.depth();
    for (const flow of depth.keys()) flows.add(flow);
    for (const flow of flows) {
      const d = depth.get(flow);
      deps.metrics.mesh_review_queue_depth.set({ flow }, d?.open ?? 0);
      deps.metrics.mesh_review_oldest_pending_age_seconds.set({ flow }, d ? Math.max(0, (now() - d.oldestRequestedAtMs) / 1000) : 0);
    }
  };
  const index = await watchQueueIndex(deps.state, { onChange: refreshDepth });

  const sweep = async () => {
    for (const item of await queue.sweep(index.dueBy(now()))) {
      deps.metrics.mesh_review_sla_breaches_total.inc({ flow: item.flow });
      deps.log.warn({ envelopeId: item.id, flow: item.flow, breaches: item.breaches }, "review SLA breached: item back in the queue");
    }
    refreshDepth(index);
    const forgotten = await queue.forgetDecided(index.decidedBefore(now() - settings.REVIEW_RETENTION_MS));
    const expired = await sessions.prune();
    if (forgotten || expired) deps.log.info({ forgotten, expired }, "review state pruned");
  };

  const app = createReviewApp({
    queue,
    index,
    sessions,
    reviewers: [...new Map(Object.values(settings.REVIEW_TOKENS).map((r) => [r.id, r])).values()],
    decide: deps.decide,
    approve: deps.approve,
    approversFor: deps.approversFor,
    revealForReviewer: deps.revealForReviewer,
    documentForReviewer: deps.documentForReviewer,
    log: deps.log,
    allowedOrigins: settings.REVIEW_ORIGINS,
    secureCookie: settings.REVIEW_SECURE_COOKIE,
    sessionTtlMs: settings.REVIEW_SESSION_TTL_MS,
    signInLimit: signInLimiter({ maxFailures: settings.REVIEW_SIGNIN_MAX_FAILURES, windowMs: settings.REVIEW_SIGNIN_WINDOW_MS, now }),
    onDecided: (flow, reviewer, decision) => deps.metrics.mesh_review_decisions_total.inc({ flow, reviewer, decision }),
    onSecondOpinion: (flow, agreed) => (agreed ? deps.metrics.mesh_review_agreements_total : deps.metrics.mesh_review_disagreements_total).inc({ flow }),
    now,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: settings.REVIEW_PORT, hostname: settings.REVIEW_HOST }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${settings.REVIEW_HOST.includes(":") ? `[${settings.REVIEW_HOST}]` : settings.REVIEW_HOST}:${port}`;
  deps.log.info({ port, url, settings: settingsForLog(settings) }, "review service listening");
  if (Object.keys(settings.REVIEW_TOKENS).length === 0) deps.log.warn({}, "REVIEW_TOKENS is empty: nobody can sign in");

  let sweeping: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweep().catch((err) => deps.log.warn({ err }, "review SLA sweep failed"));
  }, sweepIntervalMs(settings));
  timer.unref();
  refreshDepth(index);

  return {
    port,
    url,
    queue,
    index,
    sweep,
    async close() {
      clearInterval(timer);
      await sweeping;
      index.stop();
      sessions.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from a browser would hold close() open until they time out.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
