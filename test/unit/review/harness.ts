import type { TestContext } from "node:test";
import type { ReviewApproval, ReviewDecision, ReviewDecisionInput, StateStore } from "../../../shared/runtime/index.js";
import { createMetrics } from "../../../shared/telemetry/index.js";
import { startReviewService, type RunningReviewService } from "../../../agents/review/service.js";
import { memoryStateStore } from "./memory-state-store.js";

export const tokens = {
  alice: "tok-alice-0123456789",
  bob: "tok-bob-0123456789",
  eve: "tok-eve-0123456789",
  carol: "tok-carol-0123456789",
};

export const reviewTokens = JSON.stringify({
  [tokens.alice]: { id: "alice", roles: ["reviewer"] },
  [tokens.bob]: { id: "bob", roles: ["approver"] },
  [tokens.eve]: { id: "eve", roles: ["auditor"] },
  [tokens.carol]: { id: "carol", roles: ["approver"] },
});

const silent = { info() {}, warn() {}, error() {} };

/** The review service's tests never verify decisions; the runtime does that on the resume path. */
const testSigner = "U".padEnd(56, "A");

/** The review service on a free port over an in-memory state store (or `state`, a replica's); `decide` records what it was asked. */
export async function startTestService(t: TestContext, env: Record<string, string> = {}, state: StateStore = memoryStateStore()) {
  const metrics = createMetrics();
  const decisions: ReviewDecisionInput[] = [];
  const approvals: ReviewApproval[] = [];
  /** How many envelopes were opened for a reviewer (each one a policy-checked, audited data.read in the mesh). */
  const revealed = { count: 0 };
  const service: RunningReviewService = await startReviewService({
    state,
    metrics,
    log: silent,
    env: { REVIEW_PORT: "0", REVIEW_TOKENS: reviewTokens, REVIEW_SWEEP_MS: "3600000", ...env },
    // Envelopes in these tests carry no sealed fields: what is shown is what was stored.
    revealForReviewer: async (envelopes) => {
      revealed.count += envelopes.length;
      return [...envelopes];
    },
    // The document route is exercised against the mesh's document store (test/e2e/extract-review-browser.test.ts).
    documentForReviewer: () => Promise.reject(new Error("these tests hold no documents")),
    // As the mesh policy says: a refund needs two approvers, whoever set the intent.
    approversFor: (_request, values) => (values?.intent === "request_refund" ? 2 : 1),
    async approve(input) {
      const approval: ReviewApproval = {
        envelopeId: input.request.envelopeId,
        digest: input.request.digest,
        decision: input.decision,
        ...(input.corrections ? { corrections: { ...input.corrections } } : {}),
        reviewer: { id: input.reviewer.id, roles: [...input.reviewer.roles] },
        decidedAt: new Date().toISOString(),
        signer: testSigner,
        signature: "test",
      };
      approvals.push(approval);
      return approval;
    },
    async decide(input): Promise<ReviewDecision> {
      decisions.push(input);
      const decidedAt = new Date().toISOString();
      return {
        envelopeId: input.request.envelopeId,
        digest: input.request.digest,
        flow: input.request.flow,
        envelope: input.request.envelope,
        requestedBy: input.request.requestedBy,
        decision: input.decision,
        ...(input.corrections ? { corrections: { ...input.corrections } } : {}),
        ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
        reviewer: { id: input.reviewer.id, roles: [...input.reviewer.roles] },
        requestedAt: input.request.requestedAt,
        decidedAt,
        leadTimeMs: Math.max(0, Date.parse(decidedAt) - Date.parse(input.request.requestedAt)),
        policyRevision: input.request.policyRevision,
        traceparent: input.request.traceparent,
        signer: testSigner,
        signature: "test",
      };
    },
  });
  t.after(() => service.close());
  return { service, state, metrics, decisions, approvals, revealed, queue: service.queue };
}

/** A browser-like client: keeps the session cookie, sends the page's Origin and CSRF token. */
export class Client {
  cookie: string | undefined;
  csrf: string | undefined;
  constructor(
    readonly base: string,
    readonly origin: string | null = base,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.origin) h.origin = this.origin;
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== "GET" && !("x-csrf-token" in h)) h["x-csrf-token"] = this.csrf;
    if (body !== undefined) h["content-type"] = "application/json";
    const res = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0];
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  async signIn(token: string) {
    const res = await this.request("POST", "/api/session", { token });
    if (res.status === 200) this.csrf = res.json.csrfToken;
    return res;
  }
}
