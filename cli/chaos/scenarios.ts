import { streamInfo, streamNames, type Bus } from "../../shared/bus/index.js";
import { connectCli } from "../connect.js";
import { runShell, type FaultAction } from "./fault-action.js";
import type { Sandbox } from "./sandbox.js";
import type { ChaosFlow } from "./workload.js";
import type { ScenarioName } from "./scenario-names.js";

/** What a fault did: when it began, when the mesh's side of it was over (the clock recovery is measured from). */
export interface Fault {
  readonly description: string;
  readonly startedAt: number;
  readonly repairedAt: number;
  /** Named measurements of the fault itself (election time, the node killed...), printed and in --json. */
  readonly measures: Readonly<Record<string, number | string>>;
}

export interface FaultContext {
  readonly sandbox: Sandbox;
  /** The operator's connection (it survives the fault: it knows every node of a cluster). */
  readonly bus: Bus;
  readonly downMs: number;
  readonly signal: NodeJS.Signals;
  /** Sends the run's hostile inputs (the poison scenario's fault) and resolves when they are stored. */
  readonly sendPoison: () => Promise<void>;
  /** Every injection and repair goes through here: an audited operator action. */
  readonly act: FaultAction;
  readonly log: (line: string) => void;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  readonly flow: ChaosFlow;
  readonly broker: "single" | "cluster";
  readonly agents: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  inject(ctx: FaultContext): Promise<Fault>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The node that leads the task stream now, asked with a short timeout so an election in progress reads as "none". */
async function taskStreamLeader(bus: Bus): Promise<string | undefined> {
  try {
    return (await streamInfo(bus, streamNames.task, { timeoutMs: 500 })).cluster?.leader || undefined;
  } catch {
    return undefined;
  }
}

/** Polls until the task stream has a leader other than `old`; resolves with the time it was first seen. */
async function newLeader(bus: Bus, old: string, timeoutMs = 60_000): Promise<{ at: number; leader: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = await taskStreamLeader(bus);
    if (leader && leader !== old) return { at: Date.now(), leader };
    await sleep(100);
  }
  throw new Error(`the task stream elected no new leader within ${timeoutMs / 1000} s of ${old} going`);
}

async function currentLeader(ctx: FaultContext): Promise<string> {
  const leader = await taskStreamLeader(ctx.bus);
  if (!leader) throw new Error(`the task stream has no leader (is the broker a cluster? ${ctx.sandbox.cluster ? "yes" : "no"})`);
  return leader;
}

const invoiceMesh = { flow: "invoice", agents: ["ingest", "invoice"] } as const;
const ticketMesh = {
  flow: "ticket",
  agents: ["ingest", "triage"],
  // A breaker that opens after a few failures and probes every 2 s; parked tickets retry at most 3 s apart.
  env: { MODEL_ROUTING: JSON.stringify({ breaker: { minCalls: 3, windowSize: 10, slowCallMs: 2_000, slowRateToOpen: 0.5, openMs: 2_000 } }), BACKOFF_BASE_MS: "500", BACKOFF_MAX_MS: "3000" },
} as const;

export const scenarios: readonly Scenario[] = [
  {
    name: "agent-kill",
    summary: "the invoice agent killed mid-run (SIGKILL, or --signal SIGSTOP: frozen, then continued) and started again",
    ...invoiceMesh,
    broker: "single",
    async inject({ sandbox, downMs, signal, act }) {
      const startedAt = Date.now();
      const pid = sandbox.agent("invoice").child.pid;
      await act("inject", `${signal} to the invoice agent (pid ${pid})`, () => sandbox.signalAgent("invoice", signal));
      await sleep(downMs);
      if (signal === "SIGSTOP") await act("repair", `SIGCONT to the invoice agent (pid ${pid})`, () => sandbox.signalAgent("invoice", "SIGCONT"));
      else await act("repair", "start the invoice agent", () => sandbox.startAgent("invoice"));
      const action = signal === "SIGSTOP" ? "continued (SIGCONT)" : "restarted";
      return { description: `invoice agent (pid ${pid}) ${signal}, ${action} after ${downMs} ms`, startedAt, repairedAt: Date.now(), measures: { signal, downMs } };
    },
  },
  {
    name: "broker-restart",
    summary: "the broker stopped mid-run and started again on the same store",
    ...invoiceMesh,
    broker: "single",
    async inject({ sandbox, downMs, act }) {
      const startedAt = Date.now();
      await act("inject", "stop nats-server", () => sandbox.stopBroker());
      await sleep(downMs);
      await act("repair", "start nats-server on the same store", () => sandbox.startBroker());
      return { description: `nats-server stopped, started again after ${downMs} ms`, startedAt, repairedAt: Date.now(), measures: { downMs } };
    },
  },
  {
    name: "leader-kill",
    summary: "SIGKILL to the cluster node leading the task stream; recovery is timed from the new leader's election",
    ...invoiceMesh,
    broker: "cluster",
    async inject(ctx) {
      const cluster = ctx.sandbox.cluster!;
      const leader = await currentLeader(ctx);
      const startedAt = Date.now();
      await ctx.act("inject", `SIGKILL to node ${leader}, the task stream's leader`, () => cluster.node(leader).kill("SIGKILL"));
      const elected = await newLeader(ctx.bus, leader);
      ctx.log(`task stream: ${elected.leader} elected leader ${((elected.at - startedAt) / 1000).toFixed(1)} s after ${leader} was killed`);
      await sleep(Math.max(0, startedAt + ctx.downMs - Date.now()));
      await ctx.act("repair", `start node ${leader}`, () => cluster.node(leader).start());
      return {
        description: `node ${leader} (task stream leader) SIGKILL, ${elected.leader} elected, ${leader} started again`,
        startedAt,
        repairedAt: elected.at,
        measures: { killed: leader, newLeader: elected.leader, electionMs: elected.at - startedAt },
      };
    },
  },
  {
    name: "partition",
    summary: "the node leading the task stream cut off from its peers (its clients stay connected to it), then healed",
    ...invoiceMesh,
    broker: "cluster",
    async inject(ctx) {
      const cluster = ctx.sandbox.cluster!;
      const leader = await currentLeader(ctx);
      // A client of the cut-off node stays connected to it and hears nothing from the others: watch from another node.
      const observer = await connectCli("chaos-observer", { ...ctx.sandbox.operator, url: cluster.nodes.find((n) => n.name !== leader)!.url });
      const startedAt = Date.now();
      await ctx.act("inject", `cut node ${leader}, the task stream's leader, off from its peers`, async () => cluster.partition(leader));
      const elected = await newLeader(observer, leader, ctx.downMs).catch(() => undefined);
      await observer.close();
      await sleep(Math.max(0, startedAt + ctx.downMs - Date.now()));
      await ctx.act("repair", `heal node ${leader}'s routes`, async () => cluster.heal());
      return {
        description: `node ${leader} (task stream leader) partitioned from its peers for ${ctx.downMs} ms, then healed`,
        startedAt,
        repairedAt: Date.now(),
        measures: { partitioned: leader, ...(elected ? { newLeader: elected.leader, electionMs: elected.at - startedAt } : {}) },
      };
    },
  },
  {
    name: "llm-outage",
    summary: "the LLM endpoint failing every request; tickets that need it park and finish after",
    ...ticketMesh,
    broker: "single",
    async inject({ sandbox, downMs, act }) {
      const startedAt = Date.now();
      const before = sandbox.standIn.requestCount();
      await act("inject", "LLM stand-in answering 5xx", async () => sandbox.standIn.configure({ failForMs: downMs }));
      await sleep(downMs);
      await act("repair", "LLM stand-in answering again", async () => sandbox.standIn.configure({ failUntil: 0 }));
      const failed = sandbox.standIn.requestCount() - before;
      return { description: `LLM answering 5xx for ${downMs} ms`, startedAt, repairedAt: Date.now(), measures: { downMs, llmRequestsFailed: failed } };
    },
  },
  {
    name: "llm-latency",
    summary: "the LLM answering in 5 s instead of milliseconds",
    ...ticketMesh,
    broker: "single",
    async inject({ sandbox, downMs, act }) {
      const startedAt = Date.now();
      await act("inject", "LLM stand-in answering in 5 s", async () => sandbox.standIn.configure({ latencyMs: 5_000 }));
      await sleep(downMs);
      await act("repair", "LLM stand-in answering at once", async () => sandbox.standIn.configure({ latencyMs: 0 }));
      return { description: `LLM latency 5 s for ${downMs} ms`, startedAt, repairedAt: Date.now(), measures: { downMs, latencyMs: 5_000 } };
    },
  },
  {
    name: "poison",
    summary: "hostile inputs among the valid ones: not JSON, not an event, wrong types, invalid UTF-8, lone surrogates",
    ...invoiceMesh,
    broker: "single",
    inject: sendHostileInputs,
  },
];

/** Poison's fault, in a sandbox or against a target: the run's own hostile inputs, sent through the operator (audited as publishes). */
export async function sendHostileInputs({ sendPoison }: Pick<FaultContext, "sendPoison">): Promise<Fault> {
  const startedAt = Date.now();
  await sendPoison();
  return { description: "hostile inputs sent among the valid ones", startedAt, repairedAt: Date.now(), measures: {} };
}

/** Commands that break and mend a mesh this run did not start (`kubectl delete pod -l app=invoice`, `docker restart nats-1`). */
export interface OperatorFault {
  readonly fault: string;
  /** Optional: a supervisor may heal the fault by itself (a deleted pod comes back). */
  readonly repair?: string;
}

/**
 * A scenario's fault against a target mesh: the operator's command at the point the sandbox injects, `downMs` later
 * the repair command (if any) where the sandbox repairs. Recovery is timed from the repair (or the fault's end).
 */
export async function operatorFault(ctx: Pick<FaultContext, "act" | "downMs" | "log">, cmd: OperatorFault): Promise<Fault> {
  const startedAt = Date.now();
  const said = await ctx.act("inject", cmd.fault, () => runShell(cmd.fault));
  if (said) ctx.log(`fault command: ${said.slice(-500)}`);
  await sleep(Math.max(0, startedAt + ctx.downMs - Date.now()));
  if (cmd.repair) {
    const repaired = await ctx.act("repair", cmd.repair, () => runShell(cmd.repair!));
    if (repaired) ctx.log(`repair command: ${repaired.slice(-500)}`);
  }
  return {
    description: `operator's fault \`${cmd.fault}\`${cmd.repair ? `, repaired by \`${cmd.repair}\`` : ""} after ${ctx.downMs} ms`,
    startedAt,
    repairedAt: Date.now(),
    measures: { downMs: ctx.downMs },
  };
}

export function scenarioNamed(name: string): Scenario {
  const found = scenarios.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario "${name}": one of ${scenarios.map((s) => s.name).join(", ")}`);
  return found;
}
