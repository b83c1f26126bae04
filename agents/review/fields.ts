import { readFileSync } from "node:fs";
import { z } from "zod";
import { banking77Paths } from "../../shared/datasets/index.js";
import { ReviewError } from "./errors.js";

/** A field a reviewer may correct, with the only values it may take. */
export interface CorrectionField {
  readonly path: string;
  readonly label: string;
  readonly options: readonly string[];
}

export const rejectReasons = ["not_actionable", "duplicate", "spam", "out_of_scope", "needs_more_information", "policy_violation", "other"] as const;
export type RejectReason = (typeof rejectReasons)[number];

let intents: readonly string[] | undefined;
/** The 77 BANKING77 intents the ticket classifier chooses from. */
export function ticketIntents(): readonly string[] {
  intents ??= z.array(z.string().min(1)).length(77).parse(JSON.parse(readFileSync(banking77Paths.categories, "utf8")));
  return intents;
}

/** Per flow, what a reviewer can correct field by field; a flow without fields can be approved or rejected. */
export function correctionFields(flow: string): readonly CorrectionField[] {
  if (flow === "ticket") return [{ path: "intent", label: "Intent", options: ticketIntents() }];
  return [];
}

/** Keeps only known fields with allowed values; an error names the field. */
export function validateCorrections(flow: string, corrections: Record<string, unknown>): Record<string, string> {
  const fields = new Map(correctionFields(flow).map((f) => [f.path, f]));
  const out: Record<string, string> = {};
  for (const [path, value] of Object.entries(corrections)) {
    const field = fields.get(path);
    if (!field) throw new ReviewError("E_SCHEMA", `corrections.${path}: not a correctable field of flow ${flow}`);
    if (typeof value !== "string" || !field.options.includes(value))
      throw new ReviewError("E_SCHEMA", `corrections.${path}: must be one of the ${field.options.length} allowed values`);
    out[path] = value;
  }
  if (Object.keys(out).length === 0) throw new ReviewError("E_SCHEMA", "corrections: a correction needs at least one field");
  return out;
}
