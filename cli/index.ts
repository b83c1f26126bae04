#!/usr/bin/env node
/**
 * The `mesh` command. Run with `npm run mesh -- <command>` (or `npx tsx cli/index.ts <command>`).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { demoCommand } from "./commands/demo.js";
import { dlqEdit, dlqList, dlqReplay, dlqShow } from "./commands/dlq.js";
import { publishCommand } from "./commands/publish.js";
import { reconcileCommand } from "./commands/reconcile.js";
import { statusCommand } from "./commands/status.js";
import { tailCommand } from "./commands/tail.js";
import { allowUnauthenticatedFlag, upCommand } from "./commands/up.js";
import { initCommand } from "./commands/init.js";
import { costCommand } from "./commands/cost.js";
import { auditVerifyCommand, policyDiffCommand, policyExplain, policyKeygen, policyPush } from "./commands/policy.js";
import { traceCommand } from "./commands/trace.js";
import { labelsExport, replayCommand, reviewList } from "./commands/review.js";
import { runPlan } from "./plan/index.js";
import { socialCommand } from "./commands/social.js";
import { runEval } from "../shared/models/index.js";

const usage = `usage: mesh <command>

  up [--agents a,b] [--own-nats]       start nats-server (its own, unless NATS_URL is set), declare the topology,
     [--allow-unauthenticated-broker]  register identities and start every agent under its own nkey; a NATS_URL
                                       broker that accepts anonymous clients is refused unless the flag says so
  init [--agents a,b]                  as the operator: streams, buckets and every agent's durable consumers
  demo [--exit] [--invoices N] [--tickets N]   the mesh plus sample traffic and a summary (npm start)
  publish <flow> <file.jsonl|->        publish one event per line to mesh.in.<flow>
  tail <subject>                       print messages on a subject (wildcards allowed) [--json]
  status <flow> <source-system> <source-id> [--json]   where the event is: not admitted, in stage X, waiting
                                       for review, done (with the result), dead-lettered (with the reason)
  reconcile <flow> [--since <iso time>] [--json]   every admitted input has exactly one terminal outcome; lists the
                                       missing and the doubled; exit 0 all good, 3 missing, 4 doubled (4 when both)
  dlq ls [--flow f] [--json]           list dead letters with their reasons
  dlq show <seq> [--json]              one letter: its reason and its original body (a sealed body is opened, audited)
  dlq replay [--flow f] [--seq n]      republish dead letters to their original subjects; an inbound event ingest
                                       would refuse again stays, with the reason
  dlq edit <seq> --body <file|->       correct a refused inbound event: checked as ingest checks it, republished,
                                       the letter removed, audited as a correction naming the letter
  eval triage [--data f.csv] [--json]  accuracy and coverage of the shipped ticket model (held-out fifth by default)
  cost [--metrics url,...] [--json]    cost per task and flow (model + human) against the manual baseline
       [--hourly-rate 50] [--human-minutes 4] [--manual-minutes 6]
  plan <tasks.csv|-> [--format table|csv|md] [--out FILE]   rank automation targets
  review ls                            the open review queue (no task text)
  labels export [--flow ticket] [--out f.jsonl]   reviewer labels as JSONL
  replay <task-id> [--publish]         the task's envelope plus its corrections, in order; --publish re-runs it
  bench [policy|models|mesh]           the benchmarks, each against a baseline measured in the same run
  trace <task-id>                      one task's hops, model calls, policy decisions and reviewer, in order
  policy keygen --out <seed-file>      an approver key pair for signing policy documents
  policy push <file> --seed-file <f>   sign and store a policy revision; every agent swaps to it
  policy diff <file> [--limit N]       decisions in the audit trail the candidate would change
  policy explain '<request json>' [--file policy.yaml]   the decision and each rule's part
  audit verify [--file f] [--json]     check the hash chains; names altered, missing, reordered records
    [--trust name=U...] [--since N]     and chains no registered identity signed; the stream's settings and truncation

environment: NATS_URL (default: the broker mesh up started, else nats://127.0.0.1:4222); as whom:
  NATS_NKEY_SEED (an nkey user seed), or NATS_USER and NATS_PASS, else the operator seed in .mesh/operator.json`;

type Handler = (args: string[]) => Promise<number>;

const commands: Record<string, Handler> = {
  social: socialCommand,
  async up(args) {
    const { values } = parseArgs({
      args,
      options: { agents: { type: "string" }, "own-nats": { type: "boolean" }, [allowUnauthenticatedFlag.slice(2)]: { type: "boolean" } },
    });
    return upCommand({
      ...(values.agents ? { agents: values.agents.split(",") } : {}),
      ownNats: values["own-nats"] ?? false,
      allowUnauthenticatedBroker: values[allowUnauthenticatedFlag.slice(2)] === true,
    });
  },
  async init(args) {
    const { values } = parseArgs({ args, options: { agents: { type: "string" } } });
    return initCommand(values.agents ? { agents: values.agents.split(",") } : {});
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
  async status(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
    const [flow, system, id] = positionals;
    if (!flow || !system || id === undefined) throw new UsageError("mesh status <flow> <source-system> <source-id> [--json]");
    return statusCommand(flow, system, id, { json: values.json ?? false });
  },
  async reconcile(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { since: { type: "string" }, json: { type: "boolean" } } });
    if (!positionals[0]) throw new UsageError("mesh reconcile <flow> [--since <iso time>] [--json]");
    const since = values.since === undefined ? undefined : isoTime("--since", values.since);
    return reconcileCommand(positionals[0], { ...(since ? { since } : {}), json: values.json ?? false });
  },
  async dlq(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { flow: { type: "string" }, json: { type: "boolean" }, seq: { type: "string" }, body: { type: "string" } },
    });
    const flow = values.flow ? { flow: values.flow } : {};
    const [sub, seq] = positionals;
    if (sub === "ls") return dlqList({ ...flow, json: values.json ?? false });
    if (sub === "replay") return dlqReplay({ ...flow, ...(values.seq ? { seq: positiveInt("--seq", values.seq) } : {}) });
    if (sub === "show" && seq) return dlqShow(positiveInt("<seq>", seq), { json: values.json ?? false });
    if (sub === "edit" && seq && values.body) return dlqEdit(positiveInt("<seq>", seq), values.body);
    throw new UsageError("mesh dlq ls [--flow f] | show <seq> | replay [--flow f] [--seq n] | edit <seq> --body <file>");
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
  // The benchmarks live with the tests (test/bench); the CLI only runs them, it does not import them.
  async bench(args) {
    const r = spawnSync("npm", ["run", "-s", "bench", "--", ...args], { stdio: "inherit", cwd: fileURLToPath(new URL("../", import.meta.url)) });
    return r.status ?? 1;
  },
  async trace(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true });
    if (!positionals[0]) throw new UsageError("mesh trace <task-id>  (the envelope id, env_…)");
    return traceCommand(positionals[0]);
  },
  async policy(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: "string" }, "seed-file": { type: "string" }, limit: { type: "string" }, file: { type: "string" } },
    });
    const [sub, arg] = positionals;
    if (sub === "keygen" && values.out) return policyKeygen(values.out);
    if (sub === "push" && arg) return policyPush(arg, values["seed-file"]);
    if (sub === "diff" && arg) return policyDiffCommand(arg, values.limit ? positiveInt("--limit", values.limit) : undefined);
    if (sub === "explain" && arg) return policyExplain(arg, values.file);
    throw new UsageError("mesh policy keygen --out <file> | push <file> --seed-file <f> | diff <file> | explain '<json>'");
  },
  async review(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true });
    if (positionals[0] !== "ls") throw new UsageError("mesh review ls");
    return reviewList();
  },
  async labels(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { flow: { type: "string", default: "ticket" }, out: { type: "string" } } });
    if (positionals[0] !== "export") throw new UsageError("mesh labels export [--flow ticket] [--out file.jsonl]");
    return labelsExport(values.flow, values.out);
  },
  async replay(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { publish: { type: "boolean" } } });
    if (!positionals[0]) throw new UsageError("mesh replay <task-id> [--publish]");
    return replayCommand(positionals[0], { publish: values.publish ?? false });
  },
  async audit(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { file: { type: "string" }, json: { type: "boolean" }, trust: { type: "string" }, since: { type: "string" } },
    });
    if (positionals[0] !== "verify") throw new UsageError("mesh audit verify [--file copy.jsonl] [--trust name=U...,...] [--since <stream seq>] [--json]");
    return auditVerifyCommand({
      ...(values.file ? { file: values.file } : {}),
      json: values.json ?? false,
      ...(values.trust ? { trust: values.trust } : {}),
      ...(values.since ? { since: positiveInt("--since", values.since) } : {}),
    });
  },
};

class UsageError extends Error {}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number above 0, not "${value}"`);
  return n;
}

function isoTime(flag: string, value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${flag} takes an ISO 8601 time such as 2026-12-01T22:00:00Z, not "${value}"`);
  return at;
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
