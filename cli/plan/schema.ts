import { z } from "zod";
import { SchemaError } from "../../shared/errors/index.js";
import type { CsvRecord } from "./csv.js";

/**
 * One row of the target-selection sheet. Frequency is tasks per month; rates are fractions (0.05) or
 * percentages with a sign (5%) — a bare 5 is refused because it could mean either.
 */
const rate = z
  .string()
  .trim()
  .regex(/^(\d+(\.\d+)?%|0(\.\d+)?|1(\.0+)?|\.\d+)$/, "expected a fraction from 0 to 1 (0.05) or a percentage (5%)")
  .transform((s) => (s.endsWith("%") ? Number(s.slice(0, -1)) / 100 : Number(s)))
  .refine((n) => n <= 1, "a percentage above 100%");

const positive = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `expected a number of ${what}`)
    .transform(Number);

export const planRowSchema = z.object({
  task: z.string().trim().min(1, "the task needs a name"),
  frequency: positive("tasks per month"),
  manual_minutes: positive("minutes").refine((n) => n > 0, "a task that takes no time saves nothing"),
  error_rate: rate,
  expected_automation_rate: rate,
  /** The mesh flow that does this task (invoice, document, ticket): its measured hit-rate replaces the expected one. */
  flow: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9_-]+)?$/, "expected a flow name such as invoice")
    .transform((s) => (s === "" ? undefined : s))
    .optional(),
  complexity: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["", "low", "medium", "high"], { error: "expected low, medium or high" }))
    .transform((s) => (s === "" ? undefined : s))
    .optional(),
});

export type PlanRow = z.infer<typeof planRowSchema>;
export type Complexity = "low" | "medium" | "high";

const required = ["task", "frequency", "manual_minutes", "error_rate", "expected_automation_rate"] as const;

/** Header cells as people write them ("Manual minutes", "expected-automation-rate") → schema keys. */
function normaliseHeader(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

/** Rows of the sheet, validated; the first problem found names its line and column. */
export function parsePlanRecords(records: readonly CsvRecord[]): PlanRow[] {
  const [header, ...rows] = records;
  if (!header) throw new SchemaError("the sheet is empty: expected a header row");
  const columns = header.fields.map(normaliseHeader);
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length) {
    throw new SchemaError(`line ${header.line}: missing column(s) ${missing.join(", ")}`, { line: header.line, missing });
  }
  if (rows.length === 0) throw new SchemaError("the sheet has a header but no tasks");
  return rows.map((r) => {
    const raw = Object.fromEntries(columns.map((c, i) => [c, r.fields[i] ?? ""]));
    const parsed = planRowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? "(row)");
      throw new SchemaError(`line ${r.line}, ${field}: ${issue.message} (got "${raw[field] ?? ""}")`, {
        line: r.line,
        field,
      });
    }
    return parsed.data;
  });
}
