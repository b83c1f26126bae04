import { csvField } from "./csv.js";
import type { PlanTarget } from "./plan.js";

export type PlanFormat = "table" | "csv" | "md";

interface Column {
  readonly head: string;
  readonly cell: (t: PlanTarget) => string;
  readonly numeric: boolean;
}

const fixed = (n: number, digits: number) => n.toFixed(digits);
const percent = (n: number) => `${Math.round(n * 100)}%`;

const columns: readonly Column[] = [
  { head: "rank", cell: (t) => String(t.rank), numeric: true },
  { head: "task", cell: (t) => t.task, numeric: false },
  { head: "tasks/month", cell: (t) => String(t.tasksPerMonth), numeric: true },
  { head: "manual h/month", cell: (t) => fixed(t.manualHoursPerMonth, 1), numeric: true },
  { head: "hit-rate", cell: (t) => `${percent(t.expectedHitRate)}${t.hitRateSource === "measured" ? " m" : ""}`, numeric: true },
  { head: "saved h/month", cell: (t) => fixed(t.hoursSavedPerMonth, 1), numeric: true },
  { head: "value USD/month", cell: (t) => fixed(t.valueUsdPerMonth, 0), numeric: true },
  { head: "complexity", cell: (t) => (t.complexitySource === "given" ? t.complexity : `${t.complexity}*`), numeric: false },
  { head: "invest in", cell: (t) => t.invest, numeric: false },
  { head: "recommendation", cell: (t) => t.recommendation, numeric: false },
  { head: "advice", cell: (t) => t.advice, numeric: false },
];

/** CSV carries raw numbers (a spreadsheet formats them); table and Markdown carry rounded ones. */
const csvColumns: readonly [string, (t: PlanTarget) => string | number][] = [
  ["rank", (t) => t.rank],
  ["task", (t) => t.task],
  ["tasks_per_month", (t) => t.tasksPerMonth],
  ["manual_hours_per_month", (t) => round(t.manualHoursPerMonth)],
  ["expected_hit_rate", (t) => t.expectedHitRate],
  ["hit_rate_source", (t) => t.hitRateSource],
  ["invest", (t) => t.invest],
  ["hours_saved_per_month", (t) => round(t.hoursSavedPerMonth)],
  ["value_usd_per_month", (t) => round(t.valueUsdPerMonth)],
  ["complexity", (t) => t.complexity],
  ["complexity_source", (t) => t.complexitySource],
  ["priority", (t) => round(t.priority)],
  ["recommendation", (t) => t.recommendation],
  ["advice", (t) => t.advice],
];

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function renderPlan(targets: readonly PlanTarget[], format: PlanFormat): string {
  switch (format) {
    case "csv":
      return (
        [csvColumns.map(([h]) => h), ...targets.map((t) => csvColumns.map(([, f]) => String(f(t))))]
          .map((r) => r.map(csvField).join(","))
          .join("\n") + "\n"
      );
    case "md": {
      const esc = (s: string) => s.replace(/\|/g, "\\|");
      const lines = [
        `| ${columns.map((c) => c.head).join(" | ")} |`,
        `| ${columns.map((c) => (c.numeric ? "---:" : "---")).join(" | ")} |`,
        ...targets.map((t) => `| ${columns.map((c) => esc(c.cell(t))).join(" | ")} |`),
      ];
      return `${lines.join("\n")}\n${footnote(targets)}`;
    }
    case "table": {
      const rows = targets.map((t) => columns.map((c) => c.cell(t)));
      const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((r) => r[i]!.length)));
      const fmt = (cells: string[]) =>
        cells
          .map((s, i) => (columns[i]!.numeric ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
          .join("  ")
          .trimEnd();
      return [fmt(columns.map((c) => c.head)), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)]
        .join("\n")
        .concat("\n", footnote(targets));
    }
  }
}

function footnote(targets: readonly PlanTarget[]): string {
  return (
    (targets.some((t) => t.complexitySource === "estimated") ? "* complexity estimated from the hit-rate and error rate (add a complexity column to set it)\n" : "") +
    (targets.some((t) => t.hitRateSource === "measured") ? "m hit-rate measured by the mesh (share of the flow's tasks completed with no human touch)\n" : "")
  );
}
