import { createHash } from "node:crypto";
import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";
import { chooseThreshold } from "./calibration.js";

/**
 * The large tier's confidence, calibrated from outcomes: what reviewers decided on answers a large model gave
 * says how often an answer reported at confidence c was right. Per model name, an isotonic (monotone) fit of
 * right-or-wrong on the reported confidence maps it to a probability, and the threshold is then chosen on those
 * probabilities for the target precision, as the small model's is. The fit is a versioned document (its version
 * hashes everything that changes a decision), stored and audited like a model version.
 */
export interface LlmOutcome {
  readonly model: string;
  /** The confidence the model reported with its answer. */
  readonly confidence: number;
  /** Whether the reviewer kept the model's answer. */
  readonly correct: boolean;
}

/** A run of reported confidences [from, to] that all map to `value` (the share right among its `rows`). */
export interface IsotonicBlock {
  readonly from: number;
  readonly to: number;
  readonly value: number;
  readonly rows: number;
}

const blockSchema = z.object({
  from: z.number().min(0).max(1),
  to: z.number().min(0).max(1),
  value: z.number().min(0).max(1),
  rows: z.number().int().positive(),
});

const modelCalibrationSchema = z.object({
  rows: z.number().int().positive(),
  blocks: z
    .array(blockSchema)
    .min(1)
    .refine((bs) => bs.every((b, i) => b.from <= b.to && (i === 0 || (bs[i - 1]!.to < b.from && bs[i - 1]!.value <= b.value))), "must be ordered, disjoint and non-decreasing"),
  /** Accept at or above this calibrated confidence; 1.0001 when no threshold met the target. */
  threshold: z.number().min(0).max(1.0001),
  /** Share of the outcomes at or above the threshold, and the precision among them. */
  coverage: z.number().min(0).max(1),
  precision: z.number().min(0).max(1),
});
export type ModelCalibration = z.infer<typeof modelCalibrationSchema>;

export const llmCalibrationFormat = "meshwork.llm-calibration" as const;

/** The name the calibration is stored, promoted and hot-loaded under in the model store. */
export const llmCalibrationModelName = "llm-calibration";

const llmCalibrationSchema = z.object({
  format: z.literal(llmCalibrationFormat),
  version: z.string().regex(/^[0-9a-f]{12}$/, "must be 12 hex digits"),
  fittedAt: z.string(),
  target: z.number().gt(0).max(1),
  /** Fewest outcomes a model needs before its fit is used; with fewer, its reported confidence stands. */
  minOutcomes: z.number().int().min(1),
  models: z.record(z.string().min(1), modelCalibrationSchema),
});
export type LlmCalibration = z.infer<typeof llmCalibrationSchema>;

/**
 * Isotonic regression of right (1) or wrong (0) on confidence by pool-adjacent-violators: the non-decreasing step
 * function closest (least squares) to the outcomes. Equal confidences always share a block. Empty in, empty out.
 */
export function fitIsotonic(points: readonly { confidence: number; correct: boolean }[]): IsotonicBlock[] {
  const sorted = [...points].sort((a, b) => a.confidence - b.confidence);
  const stack: { from: number; to: number; right: number; rows: number }[] = [];
  for (let i = 0; i < sorted.length; ) {
    const c = sorted[i]!.confidence;
    let right = 0;
    let rows = 0;
    for (; i < sorted.length && sorted[i]!.confidence === c; i++) {
      rows++;
      if (sorted[i]!.correct) right++;
    }
    let block = { from: c, to: c, right, rows };
    // Merge backwards while the previous block's rate is above this one's (a violation of monotonicity).
    while (stack.length && stack.at(-1)!.right / stack.at(-1)!.rows >= block.right / block.rows) {
      const prev = stack.pop()!;
      block = { from: prev.from, to: block.to, right: prev.right + block.right, rows: prev.rows + block.rows };
    }
    stack.push(block);
  }
  return stack.map((b) => ({ from: b.from, to: b.to, value: b.right / b.rows, rows: b.rows }));
}

/** The calibrated probability of a reported confidence: its block's value, linear between blocks, flat beyond. */
export function applyIsotonic(blocks: readonly IsotonicBlock[], confidence: number): number {
  if (!blocks.length) return confidence;
  const first = blocks[0]!;
  if (confidence <= first.to) return first.value;
  for (let i = 1; i < blocks.length; i++) {
    const prev = blocks[i - 1]!;
    const b = blocks[i]!;
    if (confidence < b.from) return prev.value + ((b.value - prev.value) * (confidence - prev.to)) / (b.from - prev.to);
    if (confidence <= b.to) return b.value;
  }
  return blocks.at(-1)!.value;
}

export const defaultMinOutcomes = 50;

/** Fits every model named in the outcomes that has at least `minOutcomes` of them. */
export function fitLlmCalibration(
  outcomes: readonly LlmOutcome[],
  opts: { target: number; minOutcomes?: number; fittedAt?: Date },
): LlmCalibration {
  const minOutcomes = opts.minOutcomes ?? defaultMinOutcomes;
  const byModel = new Map<string, LlmOutcome[]>();
  for (const o of outcomes) {
    if (!(o.confidence >= 0 && o.confidence <= 1)) continue; // a confidence outside [0, 1] says nothing to fit on
    byModel.set(o.model, [...(byModel.get(o.model) ?? []), o]);
  }
  const models: Record<string, ModelCalibration> = {};
  for (const [model, rows] of [...byModel].sort(([a], [b]) => a.localeCompare(b))) {
    if (rows.length < minOutcomes) continue;
    const blocks = fitIsotonic(rows);
    const choice = chooseThreshold(
      rows.map((r) => ({ confidence: applyIsotonic(blocks, r.confidence), correct: r.correct })),
      opts.target,
    );
    models[model] = { rows: rows.length, blocks, threshold: choice.threshold, coverage: choice.coverage, precision: choice.precision };
  }
  const body = { target: opts.target, minOutcomes, models };
  return { format: llmCalibrationFormat, version: versionOf(body), fittedAt: (opts.fittedAt ?? new Date()).toISOString(), ...body };
}

/** Content hash of what changes a decision; the fitting time does not. */
function versionOf(body: Pick<LlmCalibration, "target" | "minOutcomes" | "models">): string {
  return createHash("sha256").update(JSON.stringify([body.target, body.minOutcomes, body.models])).digest("hex").slice(0, 12);
}

/** A stored calibration (bytes of JSON), parsed and its version checked against its content. */
export function llmCalibrationFromBytes(raw: Uint8Array): LlmCalibration {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    throw new SchemaError("llm calibration: not JSON");
  }
  const parsed = llmCalibrationSchema.safeParse(value);
  if (!parsed.success) throw new SchemaError(`llm calibration: ${describeIssues(parsed.error.issues)}`);
  const actual = versionOf(parsed.data);
  if (actual !== parsed.data.version) throw new SchemaError(`llm calibration: version: content hashes to ${actual}, document says ${parsed.data.version}`);
  return parsed.data;
}

export function llmCalibrationBytes(c: LlmCalibration): Uint8Array {
  return Buffer.from(JSON.stringify(c));
}

/**
 * How the router judges a large model's answer. With a fit for the model: its calibrated confidence, against the
 * flow's own bar if one is configured, else the fitted threshold. Without one: the reported confidence against the
 * configured bar or the default.
 */
export function judgeLargeAnswer(
  calibration: LlmCalibration | undefined,
  model: string,
  reported: number,
  bars: { readonly configured: number | undefined; readonly fallback: number },
): { confidence: number; threshold: number; calibration: string | null } {
  const fit = calibration?.models[model];
  if (!fit) return { confidence: reported, threshold: bars.configured ?? bars.fallback, calibration: null };
  return { confidence: applyIsotonic(fit.blocks, reported), threshold: bars.configured ?? fit.threshold, calibration: calibration!.version };
}
