import type { MeshMetrics } from "../telemetry/index.js";
import { createModelCache, type ModelCacheOptions } from "./cache.js";
import type { Lane, Lanes } from "./lanes.js";
import type { LlmCall } from "./llm-tier.js";
import type { TaskRef } from "./model-gate.js";
import { worstCaseSpend, type SpendReserve } from "./spend.js";

export interface DraftResult {
  /** null when no endpoint was allowed to draft, or the draft failed the output checks (reason says why). */
  readonly text: string | null;
  readonly model: string;
  readonly endpoint: string | null;
  readonly cached: boolean;
  readonly costUsd: number;
  readonly reason?: string;
  readonly reasonCode?: string;
}

export interface DrafterOptions {
  readonly cache: ModelCacheOptions;
  readonly spendReserve: SpendReserve;
  readonly walkLanes: Lanes["walkLanes"];
  /** Counts a large-model call and books its cost to the task (the router's, shared with classification). */
  readonly booked: (lane: Lane, task: TaskRef, res: LlmCall<unknown>) => { costUsd: number; tokens: number };
  /**
   * Output checks on a drafted reply before anyone sees it (policy's PII and content checks, injected so this
   * folder stays free of policy). `text` may come back redacted; `allowed: false` withholds the draft.
   */
  readonly checkOutput?: (text: string) => { allowed: boolean; text: string; reasons: readonly string[] };
  readonly metrics?: MeshMetrics;
}

/**
 * Drafts a reply with the first endpoint that may and will answer, cached by (model, intent, instructions, text
 * as sent), held to the budgets at its worst case, and passed through the output checks before it is returned.
 * @example const draft = createDrafter({ cache, spendReserve, walkLanes, booked, checkOutput })
 */
export function createDrafter(opts: DrafterOptions) {
  const { metrics } = opts;
  const drafts = createModelCache<{ text: string }>(opts.cache);
  const checked = (text: string, meta: Omit<DraftResult, "text">): DraftResult => {
    if (!opts.checkOutput) return { text, ...meta };
    const verdict = opts.checkOutput(text);
    if (verdict.allowed) return { text: verdict.text, ...meta };
    return { text: null, ...meta, reason: `draft withheld by output checks: ${verdict.reasons.join(", ")}`, reasonCode: "output_rejected" };
  };
  return async function draft(req: { text: string; intent: string; instructions?: string }, task: TaskRef): Promise<DraftResult> {
    const worstCase = (lane: Lane) =>
      worstCaseSpend(lane.endpoint, opts.spendReserve, [req.text, req.intent, req.instructions ?? ""], opts.spendReserve.draftOutputTokens);
    const outcome = await opts.walkLanes<string>(task, [], worstCase, async (lane, prepare) => {
      const outbound = { ...req, text: prepare(req.text) };
      const key = `${outbound.intent}\n${outbound.instructions ?? ""}\n${outbound.text}`;
      const known = drafts.get("draft", lane.endpoint.model, key);
      metrics?.mesh_model_cache_requests_total.inc({ tier: "draft", result: known ? "hit" : "miss" });
      if (known) return { value: known.text, costUsd: 0, tokens: 0, cached: true };
      const res = await lane.breaker.run(() => lane.tier.draft(outbound));
      drafts.set("draft", lane.endpoint.model, key, { text: res.value });
      return { value: res.value, ...opts.booked(lane, task, res), cached: false };
    });
    if (outcome.kind === "refused") return { text: null, model: "", endpoint: null, cached: false, costUsd: 0, reason: outcome.reason, reasonCode: outcome.reasonCode };
    const meta = { model: outcome.lane.endpoint.model, endpoint: outcome.lane.endpoint.name };
    if (outcome.kind === "invalid") return { text: null, ...meta, cached: false, costUsd: 0, reason: outcome.error.message, reasonCode: "invalid_model_output" };
    return checked(outcome.value, { ...meta, cached: outcome.cached, costUsd: outcome.costUsd });
  };
}
