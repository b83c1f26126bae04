import { generateCorpus, type CorpusDocument } from "./corpus/index.js";
import { extractInvoice, withModelFields } from "./extract.js";
import { fieldNames, sameValue, type FieldName } from "./fields.js";
import { modelFieldsRequest, parseModelFields, type ModelFieldsRequest } from "./model-fields.js";
import { emptyTemplate, learnFromReview, type VendorTemplate } from "./templates.js";

export interface SliceReport {
  readonly documents: number;
  /** Completed with no human touch. */
  readonly straightThrough: number;
  /** Completed with no human touch but some field wrong: the figure that must stay at zero. */
  readonly wrongAndCompleted: number;
  /** Documents whose figures contradict themselves that completed anyway (must be zero). */
  readonly inconsistentCompleted: number;
  /** Documents whose unsure fields went to the LLM tier, and those it settled (completed with its answer). */
  readonly llmAsked: number;
  readonly llmSettled: number;
  readonly correct: Readonly<Record<FieldName, number>>;
}

export interface EvalReport {
  readonly seed: number;
  readonly layouts: number;
  readonly byLayout: Readonly<Record<string, SliceReport & { heldOut: boolean }>>;
  readonly seen: SliceReport;
  readonly heldOut: SliceReport;
  readonly all: SliceReport;
  /** Reviews (simulated from the truth) that taught templates. */
  readonly reviews: number;
  /** Who answered the LLM tier: "off" (no tier), or what the caller's answerer says it is. */
  readonly llm: string;
}

/**
 * The LLM tier for the eval: asked the request's fields about a document, answers them (anything: the answer is
 * parsed against the request's schema as the agent parses it), or null for no answer.
 */
export interface EvalModel {
  readonly name: string;
  answer(req: ModelFieldsRequest, doc: CorpusDocument): Promise<unknown>;
}

const emptySlice = (): { documents: number; straightThrough: number; wrongAndCompleted: number; inconsistentCompleted: number; llmAsked: number; llmSettled: number; correct: Record<FieldName, number> } => ({
  documents: 0,
  straightThrough: 0,
  wrongAndCompleted: 0,
  inconsistentCompleted: 0,
  llmAsked: 0,
  llmSettled: 0,
  correct: Object.fromEntries(fieldNames.map((f) => [f, 0])) as Record<FieldName, number>,
});

/**
 * Runs the corpus through extraction in order. A document that goes to review on a layout that is not held out
 * is reviewed (the truth stands in for the reviewer) and teaches its vendor's template, as the review UI does;
 * held-out layouts are never reviewed, so they measure what extraction does on a layout nobody taught. With a
 * `model`, the fields still unsure go to it between the heuristics and the human, as in the agent.
 */
export async function evaluateExtraction(seed: number, count: number, onProgress?: (done: number, total: number) => void, docs?: readonly CorpusDocument[], model?: EvalModel): Promise<EvalReport> {
  const corpus = docs ?? (await generateCorpus(seed, count));
  const templates = new Map<string, VendorTemplate>();
  const slices = { seen: emptySlice(), heldOut: emptySlice(), all: emptySlice() };
  const byLayout: Record<string, ReturnType<typeof emptySlice> & { heldOut: boolean }> = {};
  let reviews = 0;
  for (const [i, doc] of corpus.entries()) {
    const layout = doc.truth.vendor.layout;
    const cheap = await extractInvoice(doc, (v) => templates.get(v));
    const req = model && cheap.decision !== "complete" ? modelFieldsRequest(cheap) : undefined;
    const parsed = req ? parseModelFields(req, await model!.answer(req, doc)) : undefined;
    const x = parsed?.ok ? withModelFields(cheap, parsed.fields) : cheap;
    const completed = x.decision === "complete";
    const allRight = fieldNames.every((f) => sameValue(f, x.fields[f], doc.truth.fields[f]));
    const layoutSlice = (byLayout[layout.id] ??= { ...emptySlice(), heldOut: layout.heldOut ?? false });
    for (const s of [slices.all, layout.heldOut ? slices.heldOut : slices.seen, layoutSlice]) {
      s.documents++;
      if (completed) s.straightThrough++;
      if (completed && !allRight) s.wrongAndCompleted++;
      if (completed && !doc.truth.consistent) s.inconsistentCompleted++;
      if (req) s.llmAsked++;
      if (req && completed) s.llmSettled++;
      for (const f of fieldNames) if (sameValue(f, x.fields[f], doc.truth.fields[f])) s.correct[f]++;
    }
    if (!completed && !layout.heldOut && x.vendorKey && x.lines.length) {
      reviews++;
      templates.set(x.vendorKey, learnFromReview(templates.get(x.vendorKey) ?? emptyTemplate(x.vendorKey), x.lines, doc.truth.fields));
    }
    onProgress?.(i + 1, corpus.length);
  }
  return { seed, layouts: Object.keys(byLayout).length, byLayout, seen: slices.seen, heldOut: slices.heldOut, all: slices.all, reviews, llm: model?.name ?? "off" };
}
