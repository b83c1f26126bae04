import { z } from "zod";
import { priceOf, type EndpointConfig } from "./llm-tier.js";

/** What a model call costs: US dollars and tokens (input + output). */
export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

/**
 * How much a call may cost at most, reserved against budgets before it runs. Byte-level BPE never makes more
 * tokens than the UTF-8 bytes it reads, so the prompt's bytes bound its input tokens; the instructions and schema
 * around it are `promptOverheadTokens`; the answer is bounded by the output allowance of its kind.
 */
export const spendReserveSchema = z.object({
  promptOverheadTokens: z.number().int().nonnegative().default(1_500),
  classifyOutputTokens: z.number().int().positive().default(200),
  draftOutputTokens: z.number().int().positive().default(800),
  /** Reserved for one structured-fields answer (a dozen invoice fields with line items). */
  fieldsOutputTokens: z.number().int().positive().default(1_000),
});
export type SpendReserve = z.infer<typeof spendReserveSchema>;

const bytes = (parts: readonly string[]) => parts.reduce((n, p) => n + Buffer.byteLength(p, "utf8"), 0);

/** The worst case of one call to `endpoint` sending `prompt` (its variable parts) and answering up to `outputTokens`. */
export function worstCaseSpend(endpoint: EndpointConfig, reserve: SpendReserve, prompt: readonly string[], outputTokens: number): Spend {
  const inputTokens = bytes(prompt) + reserve.promptOverheadTokens;
  return { usd: priceOf(endpoint, { inputTokens, outputTokens }), tokens: inputTokens + outputTokens };
}
