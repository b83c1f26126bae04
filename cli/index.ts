#!/usr/bin/env node
/**
 * The `mesh` command. Run with `npm run mesh -- <command>` (or `npx tsx cli/index.ts <command>`).
 */
import { parseArgs } from "node:util";
import { demoCommand } from "./commands/demo.js";
import { dlqList, dlqReplay } from "./commands/dlq.js";
import { publishCommand } from "./commands/publish.js";
import { tailCommand } from "./commands/tail.js";
import { upCommand } from "./commands/up.js";
import { costCommand } from "./commands/cost.js";
import { runPlan } from "./plan/index.js";
import { runEval } from "../shared/models/index.js";

const usage = `usage: mesh <command>

  up [--agents a,b] [--own-nats]       start nats-server (when none is reachable) and every agent
  demo [--exit] [--invoices N] [--tickets N]   the mesh plus sample traffic and a summary (npm start)
  publish <flow> <file.jsonl|->        publish one event per line to mesh.in.<flow>
  tail <subject>                       print messages on a subject (wildcards allowed) [--json]
  dlq ls [--flow f] [--json]           list dead letters with their reasons
  dlq replay [--flow f] [--seq n]      republish dead letters to their original subjects
  eval triage [--data f.csv] [--json]  accuracy and coverage of the shipped ticket model (held-out fifth by default)
  cost [--metrics url,...] [--json]    cost per task and flow (model + human) against the manual baseline
       [--hourly-rate 50] [--human-minutes 4] [--manual-minutes 6]
  plan <tasks.csv|-> [--format table|csv|md] [--out FILE]   rank automation targets

environment: NATS_URL (default nats://127.0.0.1:4222), NATS_USER, NATS_PASS`;

type Handler = (args: string[]) => Promise<number>;

const commands: Record<string, Handler> = {
  async up(args) {
    const { values } = parseArgs({ args, options: { agents: { type: "string" }, "own-nats": { type: "boolean" } } });
    return upCommand({ ...(values.agents ? { agents: values.agents.split(",") } : {}), ownNats: values["own-nats"] ?? false });
  },
  async demo(args) {
    const { values } = parseArgs({ args, options: { exit: { type: "boolean" }, invoices: { type: "string" }, tickets: { type: "string" } } });
    return demoCommand({
      exit: values.exit ?? false,
      ...(values.invoices ? { invoices: positiveInt("--invoices", values.invoices) } : {}),
      ...(values.tickets ? { tickets: positiveInt("--tickets", values.tickets) } : {}),
    });
  },
  async publish(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true });
    const [flow, file] = positionals;
    if (!flow || !file) throw new UsageError("mesh publish <flow> <file.jsonl|->");
    return publishCommand(flow, file);
  },
  async tail(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
    if (!positionals[0]) throw new UsageError(`mesh tail <subject>, e.g. mesh tail "mesh.result.>"`);
    return tailCommand(positionals[0], { json: values.json ?? false });
  },
  async dlq(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { flow: { type: "string" }, json: { type: "boolean" }, seq: { type: "string" } },
    });
    const flow = values.flow ? { flow: values.flow } : {};
    if (positionals[0] === "ls") return dlqList({ ...flow, json: values.json ?? false });
    if (positionals[0] === "replay") return dlqReplay({ ...flow, ...(values.seq ? { seq: positiveInt("--seq", values.seq) } : {}) });
    throw new UsageError("mesh dlq ls|replay [--flow f]");
  },
  async eval(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { data: { type: "string" }, json: { type: "boolean" } } });
    if (positionals[0] !== "triage") throw new UsageError("mesh eval triage [--data <csv>] [--json]");
    const result = await runEval(values.data ? { data: values.data } : {});
    const { text, ...numbers } = result;
    process.stdout.write(values.json ? `${JSON.stringify(numbers)}\n` : `${text}\n`);
    return 0;
  },
  async cost(args) {
    const { values } = parseArgs({
      args,
      options: {
        metrics: { type: "string" },
        json: { type: "boolean" },
        "hourly-rate": { type: "string", default: "50" },
        "human-minutes": { type: "string", default: "4" },
        "manual-minutes": { type: "string", default: "6" },
      },
    });
    return costCommand({
      ...(values.metrics ? { metricsUrls: values.metrics.split(",") } : {}),
      json: values.json ?? false,
      hourlyRateUsd: positiveNumber("--hourly-rate", values["hourly-rate"]),
      humanMinutesPerReview: positiveNumber("--human-minutes", values["human-minutes"]),
      manualMinutesPerTask: positiveNumber("--manual-minutes", values["manual-minutes"]),
    });
  },
  plan: (args) => runPlan(args),
};

class UsageError extends Error {}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number above 0, not "${value}"`);
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a number of 0 or more, not "${value}"`);
  return n;
}

const [name, ...rest] = process.argv.slice(2);
const handler = name ? commands[name] : undefined;
if (!handler) {
  process.stderr.write(`${name && name !== "help" && name !== "--help" ? `unknown command "${name}"\n\n` : ""}${usage}\n`);
  process.exit(name && name !== "help" && name !== "--help" ? 2 : 0);
}
try {
  process.exitCode = await handler(rest);
} catch (err) {
  // parseArgs refuses unknown or malformed options with ERR_PARSE_ARGS_*: that is a usage error too.
  const usageError = err instanceof UsageError || String((err as { code?: string }).code).startsWith("ERR_PARSE_ARGS");
  process.stderr.write(`mesh ${name}: ${(err as Error).message}\n`);
  if (usageError) process.stderr.write(`\n${usage}\n`);
  process.exitCode = usageError ? 2 : 1;
}
