import type { parseArgs, ParseArgsConfig } from "node:util";
import { needsFaultCommand, scenarioNames, type ScenarioName } from "./chaos/scenario-names.js";

type Parsed = ReturnType<typeof parseArgs>;
type Options = NonNullable<ParseArgsConfig["options"]>;

/** One `mesh` command: its usage and options are data, so help and shell completion read the same table. */
export interface Command {
  /** Synopsis and explanation, as `mesh help` lists it (two-space indent, continuation lines aligned); a command
   *  made only of sub-commands leaves it out and is listed by theirs. */
  readonly usage?: string;
  readonly options?: Options;
  /** Sub-commands (dlq ls, policy push...) with their own usage; one of them must come first. */
  readonly subcommands?: Readonly<Record<string, string>>;
  /** Takes positional arguments; otherwise one is a usage error. */
  readonly positionals?: boolean;
  /** Parses its own arguments, --help included (mesh plan). */
  readonly raw?: boolean;
  /** Loads its module only when run, so `mesh help` and every other command start without it. A raw command writes
   *  its usage through `out`, as the CLI does. */
  run(parsed: Parsed, args: readonly string[], out: { stdout(text: string): void; stderr(text: string): void }): Promise<number>;
}

/** A mistake in how the command was called: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
    readonly sub?: string,
  ) {
    super(message);
  }
}

const json = { json: { type: "boolean" } } as const;
const str = (p: Parsed, k: string): string | undefined => p.values[k] as string | undefined;
const flag = (p: Parsed, k: string): boolean => p.values[k] === true;

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number above 0, not "${value}"`);
  return n;
}

function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} takes a number of 0 or more, not "${value}"`);
  return n;
}

function isoTime(name: string, value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${name} takes an ISO 8601 time such as 2026-12-01T22:00:00Z, not "${value}"`);
  return at;
}

const agentList = (p: Parsed) => (str(p, "agents") ? { agents: str(p, "agents")!.split(",") } : {});

/** Positional `i`, or a usage error naming what is missing. */
function arg(p: Parsed, i: number, what: string): string {
  const v = p.positionals[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

export const commandTable: Readonly<Record<string, Command>> = {
  up: {
    usage: `  up [--agents a,b] [--own-nats] [--json]   start nats-server (its own, unless NATS_URL is set), declare the topology,
     [--allow-unauthenticated-broker]  register identities and start every agent under its own nkey; a NATS_URL
                                       broker that accepts anonymous clients is refused unless the flag says so`,
    options: { agents: { type: "string" }, "own-nats": { type: "boolean" }, "allow-unauthenticated-broker": { type: "boolean" }, ...json },
    async run(p) {
      const { upCommand } = await import("./commands/up.js");
      return upCommand({ ...agentList(p), ownNats: flag(p, "own-nats"), allowUnauthenticatedBroker: flag(p, "allow-unauthenticated-broker"), json: flag(p, "json") });
    },
  },
  init: {
    usage: "  init [--agents a,b] [--json]         as the operator: streams, buckets and every agent's durable consumers",
    options: { agents: { type: "string" }, ...json },
    async run(p) {
      const { initCommand } = await import("./commands/init.js");
      return initCommand({ ...agentList(p), json: flag(p, "json") });
    },
  },
  demo: {
    usage: "  demo [--exit] [--invoices N] [--tickets N]   the mesh plus sample traffic and a summary (npm start)",
    options: { exit: { type: "boolean" }, invoices: { type: "string" }, tickets: { type: "string" } },
    async run(p) {
      const { demoCommand } = await import("./commands/demo.js");
      return demoCommand({
        exit: flag(p, "exit"),
        ...(str(p, "invoices") ? { invoices: positiveInt("--invoices", str(p, "invoices")!) } : {}),
        ...(str(p, "tickets") ? { tickets: positiveInt("--tickets", str(p, "tickets")!) } : {}),
      });
    },
  },
  publish: {
    usage: "  publish <flow> <file.jsonl|-> [--json]   publish one event per line to mesh.in.<flow>",
    options: json,
    positionals: true,
    async run(p) {
      const { publishCommand } = await import("./commands/publish.js");
      return publishCommand(arg(p, 0, "<flow>"), arg(p, 1, "<file.jsonl|->"), { json: flag(p, "json") });
    },
  },
  document: {
    usage: `  document <file.pdf|.xml|.txt|.eml> [--tenant acme] [--region eu] [--json]
                                       an invoice document into the mesh by reference (document store + mesh.in.document)`,
    options: { tenant: { type: "string", default: "acme" }, region: { type: "string", default: "eu" }, ...json },
    positionals: true,
    async run(p) {
      const { documentCommand } = await import("./commands/document.js");
      return documentCommand(arg(p, 0, "<file>"), { tenant: str(p, "tenant")!, region: str(p, "region")!, json: flag(p, "json") });
    },
  },
  tail: {
    usage: `  tail <subject> [--json]              print messages on a subject (wildcards allowed), e.g. mesh tail "mesh.result.>"`,
    options: json,
    positionals: true,
    async run(p) {
      const { tailCommand } = await import("./commands/tail.js");
      return tailCommand(arg(p, 0, "<subject>"), { json: flag(p, "json") });
    },
  },
  status: {
    usage: `  status <flow> <source-system> <source-id> [--json]   where the event is: not admitted, in stage X, waiting
                                       for review, done (with the result), dead-lettered (with the reason)`,
    options: json,
    positionals: true,
    async run(p) {
      const { statusCommand } = await import("./commands/status.js");
      return statusCommand(arg(p, 0, "<flow>"), arg(p, 1, "<source-system>"), arg(p, 2, "<source-id>"), { json: flag(p, "json") });
    },
  },
  reconcile: {
    usage: `  reconcile <flow> [--since <iso time>] [--json]   every admitted input has exactly one terminal outcome; lists the
                                       missing and the doubled; exit 0 all good, 3 missing, 4 doubled (4 when both)`,
    options: { since: { type: "string" }, ...json },
    positionals: true,
    async run(p) {
      const { reconcileCommand } = await import("./commands/reconcile.js");
      const since = str(p, "since") === undefined ? undefined : isoTime("--since", str(p, "since")!);
      return reconcileCommand(arg(p, 0, "<flow>"), { ...(since ? { since } : {}), json: flag(p, "json") });
    },
  },
  dlq: {
    subcommands: {
      ls: "  dlq ls [--flow f] [--json]           list dead letters with their reasons",
      show: "  dlq show <seq> [--json]              one letter: its reason and its original body (a sealed body is opened, audited)",
      replay: `  dlq replay [--flow f] [--seq n] [--json]   republish dead letters to their original subjects; an inbound event ingest
                                       would refuse again stays, with the reason`,
      edit: `  dlq edit <seq> --body <file|-> [--json]   correct a refused inbound event: checked as ingest checks it, republished,
                                       the letter removed, audited as a correction naming the letter`,
    },
    options: { flow: { type: "string" }, seq: { type: "string" }, body: { type: "string" }, ...json },
    async run(p) {
      const dlq = await import("./commands/dlq.js");
      const flow = str(p, "flow") ? { flow: str(p, "flow")! } : {};
      switch (p.positionals[0]) {
        case "ls":
          return dlq.dlqList({ ...flow, json: flag(p, "json") });
        case "replay":
          return dlq.dlqReplay({ ...flow, ...(str(p, "seq") ? { seq: positiveInt("--seq", str(p, "seq")!) } : {}), json: flag(p, "json") });
        case "show":
          return dlq.dlqShow(positiveInt("<seq>", arg(p, 1, "<seq>")), { json: flag(p, "json") });
        default: {
          const body = str(p, "body");
          if (!body) throw new UsageError("dlq edit needs --body <file|->");
          return dlq.dlqEdit(positiveInt("<seq>", arg(p, 1, "<seq>")), body, { json: flag(p, "json") });
        }
      }
    },
  },
  chaos: {
    usage: `  chaos <scenario...> [--events N] [--rate N] [--down-ms N] [--signal SIGKILL|SIGSTOP] [--json]
                                       a sandbox mesh, a steady workload from the operator, one fault; prints in,
                                       out, lost, doubled, DLQ, p99 during the fault, time to recover (verdict from
                                       reconcile; exit 3 lost, 4 doubled). Scenarios: ${scenarioNames.join(", ")}
  chaos <scenario...> --target --fault "<command>" [--repair "<command>"]
                                       the same against the mesh NATS_URL points at (staging), as the operator:
                                       the fault and repair are your commands, audited; judged on this run's events`,
    options: {
      events: { type: "string" },
      rate: { type: "string" },
      "down-ms": { type: "string" },
      signal: { type: "string" },
      target: { type: "boolean" },
      fault: { type: "string" },
      repair: { type: "string" },
      ...json,
    },
    positionals: true,
    async run(p) {
      const names = p.positionals;
      if (!names.length) throw new UsageError(`mesh chaos <scenario...>: one or more of ${scenarioNames.join(", ")}`);
      const unknown = names.filter((n) => !(scenarioNames as readonly string[]).includes(n));
      if (unknown.length) throw new UsageError(`unknown scenario ${unknown.join(", ")}: one of ${scenarioNames.join(", ")}`);
      const signal = str(p, "signal");
      if (signal !== undefined && signal !== "SIGKILL" && signal !== "SIGSTOP") throw new UsageError(`--signal takes SIGKILL or SIGSTOP, not "${signal}"`);
      const [fault, repair] = [str(p, "fault"), str(p, "repair")];
      if (!flag(p, "target") && (fault !== undefined || repair !== undefined)) throw new UsageError("--fault and --repair run against a target mesh: add --target");
      if (flag(p, "target") && signal) throw new UsageError("--signal is for the sandbox's own agent-kill; against a target, --fault is the command that signals");
      const commandless = names.filter((n) => needsFaultCommand(n as ScenarioName));
      if (flag(p, "target") && !fault?.trim() && commandless.length) {
        throw new UsageError(`${commandless.join(", ")} against a target mesh need --fault "<command>" (e.g. "kubectl delete pod -l app=invoice"): mesh chaos cannot signal processes it did not start`);
      }
      const { chaosCommand } = await import("./commands/chaos.js");
      return chaosCommand(names, {
        ...(str(p, "events") ? { events: positiveInt("--events", str(p, "events")!) } : {}),
        ...(str(p, "rate") ? { rate: positiveInt("--rate", str(p, "rate")!) } : {}),
        ...(str(p, "down-ms") ? { downMs: positiveInt("--down-ms", str(p, "down-ms")!) } : {}),
        ...(signal ? { signal } : {}),
        ...(flag(p, "target") ? { target: { ...(fault ? { fault } : {}), ...(repair ? { repair } : {}) } } : {}),
        json: flag(p, "json"),
      });
    },
  },
  social: {
    subcommands: {
      pause: "  social pause [--reason text] [--json]   the social connector's mesh-wide kill switch: every replica stops posting",
      resume: "  social resume [--shadow] [--json]    posting again (--shadow: draft and audit replies, post nothing)",
      status: "  social status [--json]               the switch, who set it and why, and any Retry-After the platform asked for",
    },
    options: { reason: { type: "string" }, shadow: { type: "boolean" }, ...json },
    async run(p) {
      const { socialCommand } = await import("./commands/social.js");
      const sub = p.positionals[0] as "pause" | "resume" | "status";
      return socialCommand(sub, { ...(str(p, "reason") ? { reason: str(p, "reason")! } : {}), shadow: flag(p, "shadow"), json: flag(p, "json") });
    },
  },
  eval: {
    subcommands: {
      triage:
        "  eval triage [--data f.csv] [--json] [--plot f.png]  the ticket model's accuracy, coverage, per-intent precision/recall, confusions, reliability (held-out fifth by default; --plot also draws it as PNG)",
      extract: `  eval extract [--documents 600] [--seed 1] [--json] [--llm off|stand-in]
                                       invoice extraction on the generated corpus: per-field accuracy and straight-through
                                       rate, seen and held-out layouts apart (exit 1 if a self-contradicting invoice completed);
                                       --llm stand-in adds the LLM tier with the stand-in answering from the ground truth`,
    },
    options: { data: { type: "string" }, plot: { type: "string" }, documents: { type: "string", default: "600" }, seed: { type: "string", default: "1" }, llm: { type: "string", default: "off" }, ...json },
    async run(p) {
      if (p.positionals[0] === "extract") {
        const { evalExtractCommand } = await import("./commands/eval-extract.js");
        const llm = str(p, "llm")!;
        if (llm !== "off" && llm !== "stand-in") throw new UsageError(`--llm: "${llm}" is not one of off, stand-in`);
        return evalExtractCommand({ documents: positiveInt("--documents", str(p, "documents")!), seed: positiveInt("--seed", str(p, "seed")!), json: flag(p, "json"), llm });
      }
      const { evalCommand } = await import("./commands/eval.js");
      return evalCommand({ ...(str(p, "data") ? { data: str(p, "data")! } : {}), ...(str(p, "plot") ? { plot: str(p, "plot")! } : {}), json: flag(p, "json") });
    },
  },
  cost: {
    usage: `  cost [--prometheus URL [--window 24h] [--at <iso time>]] [--json]   cost per task and flow (model + human)
       [--hourly-rate 50] [--human-minutes 4] [--manual-minutes 6]    against the manual baseline; from Prometheus
       [--metrics url,...]             (increase() over the window: survives agent restarts), else scraped from
                                       the agents now (the local demo; --metrics, or mesh up's ports 9464-9479)`,
    options: {
      prometheus: { type: "string" },
      window: { type: "string" },
      at: { type: "string" },
      metrics: { type: "string" },
      "hourly-rate": { type: "string", default: "50" },
      "human-minutes": { type: "string", default: "4" },
      "manual-minutes": { type: "string", default: "6" },
      ...json,
    },
    async run(p) {
      const prometheus = str(p, "prometheus");
      const [window, at] = [str(p, "window"), str(p, "at")];
      if (!prometheus && (window !== undefined || at !== undefined)) throw new UsageError("--window and --at are read from Prometheus: add --prometheus <url>");
      if (prometheus && str(p, "metrics")) throw new UsageError("--prometheus and --metrics are two sources: choose one");
      if (prometheus !== undefined && !URL.canParse(prometheus)) throw new UsageError(`--prometheus takes Prometheus' base URL such as http://prometheus:9090, not "${prometheus}"`);
      const { costCommand, promDuration } = await import("./commands/cost.js");
      if (window !== undefined && !promDuration.test(window)) throw new UsageError(`--window takes a Prometheus duration such as 24h, 7d or 90m, not "${window}"`);
      return costCommand({
        ...(prometheus ? { prometheus } : {}),
        ...(window ? { window } : {}),
        ...(at !== undefined ? { at: isoTime("--at", at) } : {}),
        ...(str(p, "metrics") ? { metricsUrls: str(p, "metrics")!.split(",") } : {}),
        json: flag(p, "json"),
        hourlyRateUsd: positiveNumber("--hourly-rate", str(p, "hourly-rate")!),
        humanMinutesPerReview: positiveNumber("--human-minutes", str(p, "human-minutes")!),
        manualMinutesPerTask: positiveNumber("--manual-minutes", str(p, "manual-minutes")!),
      });
    },
  },
  plan: {
    usage: "  plan <tasks.csv|-> [--format table|csv|md] [--out FILE]   rank automation targets (mesh plan --help: the columns)",
    raw: true,
    async run(_p, args, out) {
      const { runPlan, processIo } = await import("./plan/index.js");
      return runPlan(args, { ...processIo, stdout: out.stdout, stderr: out.stderr });
    },
  },
  review: {
    subcommands: { ls: "  review ls [--json]                   the open review queue (no task text)" },
    options: json,
    async run(p) {
      const { reviewList } = await import("./commands/review.js");
      return reviewList({ json: flag(p, "json") });
    },
  },
  labels: {
    subcommands: { export: "  labels export [--flow ticket] [--out f.jsonl]   reviewer labels as JSONL" },
    options: { flow: { type: "string", default: "ticket" }, out: { type: "string" } },
    async run(p) {
      const { labelsExport } = await import("./commands/review.js");
      return labelsExport(str(p, "flow")!, str(p, "out"));
    },
  },
  replay: {
    usage: "  replay <task-id> [--publish] [--json]   the task's envelope plus its corrections, in order; --publish re-runs it",
    options: { publish: { type: "boolean" }, ...json },
    positionals: true,
    async run(p) {
      const { replayCommand } = await import("./commands/review.js");
      return replayCommand(arg(p, 0, "<task-id>"), { publish: flag(p, "publish"), json: flag(p, "json") });
    },
  },
  bench: {
    usage: "  bench [policy|models|mesh]           the benchmarks, each against a baseline measured in the same run",
    positionals: true,
    // The benchmarks live with the tests (test/bench); the CLI only runs them, it does not import them.
    async run(p) {
      const [{ spawnSync }, { fileURLToPath }] = await Promise.all([import("node:child_process"), import("node:url")]);
      const r = spawnSync("npm", ["run", "-s", "bench", "--", ...p.positionals], { stdio: "inherit", cwd: fileURLToPath(new URL("../", import.meta.url)) });
      return r.status ?? 1;
    },
  },
  trace: {
    usage: "  trace <task-id> [--json]             one task's hops, model calls, policy decisions and reviewer, in order",
    options: json,
    positionals: true,
    async run(p) {
      const { traceCommand } = await import("./commands/trace.js");
      return traceCommand(arg(p, 0, "<task-id> (the envelope id, env_…)"), { json: flag(p, "json") });
    },
  },
  policy: {
    subcommands: {
      keygen: "  policy keygen --out <seed-file> [--json]   an approver key pair for signing policy documents",
      push: "  policy push <file> --seed-file <f> [--json]   sign and store a policy revision; every agent swaps to it",
      diff: "  policy diff <file> [--limit N] [--json]   decisions in the audit trail the candidate would change",
      explain: "  policy explain '<request json>' [--file policy.yaml] [--json]   the decision and each rule's part",
    },
    options: { out: { type: "string" }, "seed-file": { type: "string" }, limit: { type: "string" }, file: { type: "string" }, ...json },
    async run(p) {
      const policy = await import("./commands/policy.js");
      const j = flag(p, "json");
      switch (p.positionals[0]) {
        case "keygen": {
          const out = str(p, "out");
          if (!out) throw new UsageError("policy keygen needs --out <seed-file>");
          return policy.policyKeygen(out, { json: j });
        }
        case "push":
          return policy.policyPush(arg(p, 1, "<file>"), str(p, "seed-file"), { json: j });
        case "diff":
          return policy.policyDiffCommand(arg(p, 1, "<file>"), str(p, "limit") ? positiveInt("--limit", str(p, "limit")!) : undefined, { json: j });
        default:
          return policy.policyExplain(arg(p, 1, "'<request json>'"), str(p, "file"), { json: j });
      }
    },
  },
  new: {
    subcommands: {
      agent: `  new agent <name> [--flow invoice|ticket] [--json]   a working agent: agents/<name>/ (index.ts, README), its test against a
                                       real broker, its grants in the policy document, its Kubernetes, compose and
                                       Prometheus entries`,
    },
    options: { flow: { type: "string", default: "invoice" }, ...json },
    async run(p) {
      const [{ scaffoldAgent }, { fileURLToPath }, { report }] = await Promise.all([import("./scaffold/new-agent.js"), import("node:url"), import("./report.js")]);
      const flow = str(p, "flow");
      if (flow !== "invoice" && flow !== "ticket") throw new UsageError(`--flow takes invoice or ticket, not "${flow}"`);
      const name = arg(p, 1, "<name>");
      const written = scaffoldAgent({ root: fileURLToPath(new URL("../", import.meta.url)), name, flow });
      report({ json: flag(p, "json") }, { agent: name, flow, written }, () => `${written.map((f) => `  ${f}`).join("\n")}\nagent ${name} is ready: node scripts/run-tests.mjs agent-${name}; npm run mesh -- up runs it`);
      return 0;
    },
  },
  audit: {
    subcommands: {
      verify: `  audit verify [--file f] [--json]     check the hash chains; names altered, missing, reordered records
    [--trust name=U...] [--since N]     and chains no registered identity signed; the stream's settings and truncation`,
    },
    options: { file: { type: "string" }, trust: { type: "string" }, since: { type: "string" }, ...json },
    async run(p) {
      const { auditVerifyCommand } = await import("./commands/policy.js");
      return auditVerifyCommand({
        ...(str(p, "file") ? { file: str(p, "file")! } : {}),
        json: flag(p, "json"),
        ...(str(p, "trust") ? { trust: str(p, "trust")! } : {}),
        ...(str(p, "since") ? { since: positiveInt("--since", str(p, "since")!) } : {}),
      });
    },
  },
};

/** A command's usage: its own, or (a command made only of sub-commands) theirs, one after the other. */
export function usageText(command: Command): string {
  return command.usage ?? Object.values(command.subcommands ?? {}).join("\n");
}
