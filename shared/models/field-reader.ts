import type { Lane, Lanes } from "./lanes.js";
import type { FieldsRequest, LlmCall } from "./llm-tier.js";
import type { TaskRef } from "./model-gate.js";
import { worstCaseSpend, type SpendReserve } from "./spend.js";

export interface FieldsResult {
  /** The fields as the schema allows them; null when no endpoint was allowed to answer or its answer broke the schema. */
  readonly values: Record<string, unknown> | null;
  readonly model: string;
  readonly endpoint: string | null;
  readonly costUsd: number;
  readonly reason?: string;
  readonly reasonCode?: string;
}

export interface FieldReaderOptions {
  readonly spendReserve: SpendReserve;
  readonly walkLanes: Lanes["walkLanes"];
  /** Counts a large-model call and books its cost to the task (the router's, shared with classification). */
  readonly booked: (lane: Lane, task: TaskRef, res: LlmCall<unknown>) => { costUsd: number; tokens: number };
}

/**
 * Reads structured fields from a document's text with the first endpoint that may and will answer, held to the
 * budgets at its worst case; the text leaves redacted when the gate obliges it. Not cached: a document is read
 * once, and a redelivery reuses the journaled answer.
 * @example const readFields = createFieldReader({ spendReserve, walkLanes, booked })
 */
export function createFieldReader(opts: FieldReaderOptions) {
  return async function readFields(req: FieldsRequest, task: TaskRef): Promise<FieldsResult> {
    const worstCase = (lane: Lane) => worstCaseSpend(lane.endpoint, opts.spendReserve, [req.text, req.instructions, JSON.stringify(Object.keys(req.schema.shape))], opts.spendReserve.fieldsOutputTokens);
    const outcome = await opts.walkLanes<Record<string, unknown>>(task, [], worstCase, async (lane, prepare) => {
      const res = await lane.breaker.run(() => lane.tier.extractFields({ ...req, text: prepare(req.text) }));
      return { value: res.value, ...opts.booked(lane, task, res), cached: false };
    });
    if (outcome.kind === "refused") return { values: null, model: "", endpoint: null, costUsd: 0, reason: outcome.reason, reasonCode: outcome.reasonCode };
    const meta = { model: outcome.lane.endpoint.model, endpoint: outcome.lane.endpoint.name };
    if (outcome.kind === "invalid") return { values: null, ...meta, costUsd: 0, reason: outcome.error.message, reasonCode: "invalid_model_output" };
    return { values: outcome.value, ...meta, costUsd: outcome.costUsd };
  };
}
