import type { Complexity, PlanRow } from "./schema.js";

export interface PlanOptions {
  /** Loaded cost of one hour of the people doing the task today. */
  hourlyRateUsd?: number;
  /** Below this expected hit-rate, models are not the bottleneck: the input is. */
  minHitRate?: number;
  /** Hit-rates the mesh measured, by flow (share completed with no human touch); they replace a row's expectation. */
  measured?: Readonly<Record<string, number>>;
}

export type Recommendation = "automate" | "pilot-with-review" | "improve-extraction-first";

export interface PlanTarget {
  readonly rank: number;
  readonly task: string;
  readonly tasksPerMonth: number;
  readonly manualHoursPerMonth: number;
  readonly expectedHitRate: number;
  /** measured: the mesh's own figure for the row's flow; expected: the sheet's estimate. */
  readonly hitRateSource: "measured" | "expected";
  /** The 60% rule: under it, invest in extraction (inputs, templates, RPA hooks); at or over it, in models. */
  readonly invest: "extraction" | "models";
  /** Manual hours no longer spent, plus the rework hours of the manual errors on the automated share. */
  readonly hoursSavedPerMonth: number;
  readonly valueUsdPerMonth: number;
  readonly complexity: Complexity;
  readonly complexitySource: "given" | "estimated";
  /** Value divided by a complexity weight (low 1, medium 2, high 4): the ranking key. */
  readonly priority: number;
  readonly recommendation: Recommendation;
  readonly advice: string;
}

const weight: Record<Complexity, number> = { low: 1, medium: 2, high: 4 };

/**
 * A task is as complex as its least reliable part: a low expected hit-rate means the inputs are hard to
 * read, a high error rate means the process itself is ambiguous.
 */
export function estimateComplexity(row: Pick<PlanRow, "error_rate" | "expected_automation_rate">): Complexity {
  if (row.expected_automation_rate < 0.6 || row.error_rate > 0.2) return "high";
  if (row.expected_automation_rate < 0.8 || row.error_rate > 0.05) return "medium";
  return "low";
}

/**
 * Ranks candidate tasks for automation by value per unit of complexity.
 *
 * @example
 * planTargets([{ task: "invoice matching", frequency: 4000, manual_minutes: 6, error_rate: 0.03,
 *                expected_automation_rate: 0.85 }])[0].recommendation // "automate"
 */
export function planTargets(rows: readonly PlanRow[], opts: PlanOptions = {}): PlanTarget[] {
  const hourlyRate = opts.hourlyRateUsd ?? 50;
  const minHitRate = opts.minHitRate ?? 0.6;
  const scored = rows.map((row) => {
    const manualHours = (row.frequency * row.manual_minutes) / 60;
    const measured = row.flow === undefined ? undefined : opts.measured?.[row.flow];
    const hit = measured ?? row.expected_automation_rate;
    const saved = manualHours * hit * (1 + row.error_rate);
    const value = saved * hourlyRate;
    const complexity = row.complexity ?? estimateComplexity({ ...row, expected_automation_rate: hit });
    const [recommendation, advice] = advise(hit, complexity, minHitRate);
    return {
      task: row.task,
      tasksPerMonth: row.frequency,
      manualHoursPerMonth: manualHours,
      expectedHitRate: hit,
      hitRateSource: measured === undefined ? ("expected" as const) : ("measured" as const),
      invest: hit < minHitRate ? ("extraction" as const) : ("models" as const),
      hoursSavedPerMonth: saved,
      valueUsdPerMonth: value,
      complexity,
      complexitySource: row.complexity ? ("given" as const) : ("estimated" as const),
      priority: value / weight[complexity],
      recommendation,
      advice,
    };
  });
  scored.sort(
    (a, b) => b.priority - a.priority || b.valueUsdPerMonth - a.valueUsdPerMonth || a.task.localeCompare(b.task),
  );
  return scored.map((t, i) => ({ rank: i + 1, ...t }));
}

function advise(hit: number, complexity: Complexity, minHitRate: number): [Recommendation, string] {
  const pct = `${Math.round(hit * 100)}%`;
  if (hit < minHitRate) {
    return [
      "improve-extraction-first",
      `expected hit-rate ${pct} is below ${Math.round(minHitRate * 100)}%: improve structured extraction ` +
        "(input templates, field validation, source data quality) before investing in models",
    ];
  }
  if (complexity === "high") {
    return ["pilot-with-review", `pilot with a human reviewing every answer until the ${pct} hit-rate holds`];
  }
  return ["automate", `automate; route the remaining ${Math.round((1 - hit) * 100)}% to review`];
}
