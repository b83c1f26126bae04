import { modelFieldsRequest, parseModelFields, withModelFields, type AgentContext, type Extraction, type FieldName } from "../../shared/runtime/index.js";

/** What the large model did for a document: for the result, and for the reviewer when it did not settle it. */
export interface ModelNote {
  readonly asked: readonly FieldName[];
  readonly answered: readonly string[];
  readonly model: string;
  /** Why it answered nothing usable: the policy refused, no endpoint, or an answer outside the schema. */
  readonly reason?: string;
}

/**
 * The LLM tier: the fields still unsure after the cheaper tiers go to the large model through the runtime
 * (policy-decided, redacted as obliged, budgeted, audited, journaled), and its answer is judged by the same checks
 * as any other tier's: figures that disagree still go to a human.
 */
export async function askModel(ctx: Pick<AgentContext, "readFields">, x: Extraction): Promise<{ x: Extraction; model?: ModelNote }> {
  const req = modelFieldsRequest(x);
  if (!req) return { x };
  const answer = await ctx.readFields({ text: req.text, instructions: req.instructions, schema: req.schema });
  const asked = { asked: req.fields, model: answer.model };
  if (answer.values === null) return { x, model: { ...asked, answered: [], reason: answer.reason ?? "no answer" } };
  const parsed = parseModelFields(req, answer.values);
  if (!parsed.ok) return { x, model: { ...asked, answered: [], reason: parsed.problem } };
  return { x: withModelFields(x, parsed.fields), model: { ...asked, answered: Object.keys(parsed.fields) } };
}
