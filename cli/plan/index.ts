import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { MeshError } from "../../shared/errors/index.js";
import { parseCsv } from "./csv.js";
import { planTargets, type PlanOptions } from "./plan.js";
import { renderPlan, type PlanFormat } from "./render.js";
import { parsePlanRecords } from "./schema.js";
import { measuredHitRates } from "./measured.js";
import { readVendorHits, renderVendorHits } from "./vendor-hits.js";
import { connectCli } from "../connect.js";

export { parseCsv, csvField, type CsvRecord } from "./csv.js";
export { planRowSchema, parsePlanRecords, type PlanRow, type Complexity } from "./schema.js";
export { planTargets, estimateComplexity, type PlanTarget, type PlanOptions, type Recommendation } from "./plan.js";
export { renderPlan, type PlanFormat } from "./render.js";
export { measuredHitRates, type FlowHits } from "./measured.js";

/** CSV text of the target-selection sheet → ranked targets. Throws SchemaError naming line and field. */
export function planFromCsv(text: string, opts: PlanOptions = {}) {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    throw new MeshError("E_SCHEMA", (err as Error).message);
  }
  return planTargets(parsePlanRecords(records), opts);
}

export const planUsage = `usage: mesh plan <tasks.csv|-> [--format table|csv|md] [--out FILE] [--hourly-rate USD] [--min-hit-rate 0.6]
                 [--measured URL,...] [--vendors]

Columns: task, frequency (tasks per month), manual_minutes, error_rate, expected_automation_rate
(rates as 0.05 or 5%), and optionally complexity (low|medium|high) and flow (the mesh flow doing the task).
--measured reads the agents' /metrics (mesh_tasks_completed_total): a row's flow with completed tasks takes its
measured hit-rate (share completed with no human touch) instead of the expected one. Under --min-hit-rate the plan
says invest in extraction (inputs, templates, RPA hooks) before models. --vendors also prints the extract agent's
hit-rate per vendor (read from the mesh, NATS_URL) with the same rule.`;

const flagsSchema = z.object({
  file: z.string({ error: "a CSV file (or - for stdin) is required" }),
  format: z.enum(["table", "csv", "md"], { error: "--format must be table, csv or md" }),
  out: z.string().optional(),
  hourlyRateUsd: z.coerce.number({ error: "--hourly-rate must be a number" }).positive("--hourly-rate must be positive"),
  minHitRate: z.coerce.number({ error: "--min-hit-rate must be a number" }).min(0).max(1, "--min-hit-rate is a fraction from 0 to 1"),
});

export interface PlanIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
}

export const processIo: PlanIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
};

/**
 * `mesh plan`: reads the sheet, prints the ranked table (or writes CSV/Markdown to --out). Returns the
 * process exit code: 0 done, 2 bad usage or bad sheet (the message names the line and field).
 */
export async function runPlan(argv: readonly string[], io: PlanIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: "string", default: "table" },
        out: { type: "string" },
        "hourly-rate": { type: "string", default: "50" },
        "min-hit-rate": { type: "string", default: "0.6" },
        measured: { type: "string" },
        vendors: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.stdout(`${planUsage}\n`);
      return 0;
    }
    const flags = flagsSchema.safeParse({
      file: positionals[0],
      format: values.format,
      out: values.out,
      hourlyRateUsd: values["hourly-rate"],
      minHitRate: values["min-hit-rate"],
    });
    if (!flags.success) throw new MeshError("E_CONFIG", flags.error.issues.map((i) => i.message).join("; "));
    const { file, format, out, hourlyRateUsd, minHitRate } = flags.data;
    const text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
    const hits = values.measured ? await measuredHitRates(values.measured.split(",").filter(Boolean)) : {};
    for (const [flow, h] of Object.entries(hits)) io.stderr(`measured ${flow}: ${h.straightThrough} straight through, ${h.human} after a human → hit-rate ${(h.hitRate * 100).toFixed(1)}%\n`);
    const measured = Object.fromEntries(Object.entries(hits).map(([flow, h]) => [flow, h.hitRate]));
    const rendered = renderPlan(planFromCsv(text, { hourlyRateUsd, minHitRate, measured }), format as PlanFormat);
    if (out) {
      await writeFile(out, rendered);
      io.stdout(`wrote ${out}\n`);
    } else io.stdout(rendered);
    if (values.vendors) {
      const bus = await connectCli("mesh-plan");
      try {
        io.stdout(`\ndocument hit-rate per vendor (extract):\n${renderVendorHits(await readVendorHits(bus), minHitRate)}`);
      } finally {
        await bus.close();
      }
    }
    return 0;
  } catch (err) {
    const message = err instanceof MeshError ? `${err.code}: ${err.message}` : (err as Error).message;
    io.stderr(`mesh plan: ${message}\n${err instanceof MeshError && err.code === "E_CONFIG" ? `${planUsage}\n` : ""}`);
    return 2;
  }
}
