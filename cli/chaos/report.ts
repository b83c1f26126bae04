import type { ChaosReport } from "./run.js";

const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(2)} s`);

const columns: [string, (r: ChaosReport) => string][] = [
  ["scenario", (r) => r.scenario],
  ["in", (r) => String(r.in)],
  ["out", (r) => String(r.out)],
  ["lost", (r) => String(r.lost)],
  ["doubled", (r) => String(r.doubled)],
  ["DLQ", (r) => String(r.dlq)],
  ["p99 during fault", (r) => seconds(r.p99DuringFaultMs)],
  ["time to recover", (r) => seconds(r.recoverMs)],
];

/** The run as a Markdown table (it reads as a table in a terminal too), then the fault and anything found. */
export function formatReport(reports: readonly ChaosReport[]): string {
  const rows = [columns.map(([h]) => h), ...reports.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const out = [line(rows[0]!), `|${widths.map((w, i) => (i ? ` ${"-".repeat(w - 1)}: ` : ` ${"-".repeat(w)} `)).join("|")}|`, ...rows.slice(1).map(line)];
  for (const r of reports) {
    const measures = Object.entries(r.fault.measures).map(([k, v]) => `${k} ${v}`).join(", ");
    out.push("", `${r.scenario}: ${r.fault.description}${measures ? ` (${measures})` : ""}`);
    out.push(`  reconcile: ${r.reconcile.admitted} admitted, ${r.reconcile.missing.length} missing, ${r.reconcile.doubled.length} doubled${r.notStored ? `; ${r.notStored} never stored by the broker` : ""}`);
    for (const a of r.audited) out.push(`  audited: ${a.step} ${a.what} (${a.outcome})`);
    for (const f of r.findings.slice(0, 20)) out.push(`  ${f}`);
  }
  return out.join("\n");
}
