import { defineAgent } from "../../shared/runtime/index.js";
import { createQueue } from "./queue.js";
import { startReviewService } from "./service.js";
import { parseReviewSettings } from "./settings.js";

/**
 * The review service: takes in every flow's review requests as durable queue items and serves reviewers
 * a web page and an API to decide them. A decision goes back to the mesh through the runtime
 * (decided → the escalating agent resumes; label → the trainer; correction → the task's history).
 */
export default defineAgent({
  name: "review",
  version: "1.0.0",
  consumes: { reviews: "*" },
  state: true,
  documents: true,
  async handle(request, ctx) {
    const { REVIEW_SLA_MS } = parseReviewSettings(process.env);
    const { created } = await createQueue(ctx.state, { slaMs: REVIEW_SLA_MS }).intake(request);
    ctx.log.info({ envelopeId: request.envelopeId, flow: request.flow, code: request.code, created }, created ? "review item queued" : "review item already queued");
  },
  async serve(svc) {
    return startReviewService(svc);
  },
});
