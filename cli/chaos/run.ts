import { randomUUID } from "node:crypto";
import { consumerInfos, deadLetterSchema, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { connectOperator } from "../operator.js";
import { readFlowLedger, reconcileFlow, type Finding, type TaskTrail } from "../../shared/runtime/task-ledger.js";
import { auditedFaults, auditedFaultsOf, type AuditedFault } from "./fault-action.js";
import { storedJson } from "./stored-json.js";
import { startSandbox, type Sandbox } from "./sandbox.js";
import { needsFaultCommand } from "./scenario-names.js";
import { operatorFault, scenarioNamed, sendHostileInputs, type Fault, type OperatorFault } from "./scenarios.js";
import { poisonEvents, publishUntilStored, validEvents, type Sent } from "./workload.js";

export interface ChaosOptions {
  readonly scenario: string;
  /** Valid events in the workload. */
  readonly events?: number;
  /** Events published per second (a steady stream, so there is work before, during and after the fault). */
  readonly rate?: number;
  /** How long the fault lasts (a killed agent stays down, the broker stays stopped, the LLM fails...). */
  readonly downMs?: number;
  /** agent-kill: SIGKILL (default) or SIGSTOP. */
  readonly signal?: NodeJS.Signals;
  /** Rounds of hostile inputs (6 each) for the poison scenario. */
  readonly poisonRounds?: number;
  /** How long to wait for every event to reach an outcome before judging what is missing. */
  readonly settleTimeoutMs?: number;
  /**
   * Run against the mesh the environment points at (NATS_URL and the operator's credentials, as every mesh command)
   * instead of a sandbox: its faults are the operator's commands, and the verdict covers only what this run sent.
   */
  readonly target?: Partial<OperatorFault>;
  readonly progress?: (line: string) => void;
}

export interface ChaosReport {
  readonly scenario: string;
  readonly fault: Fault;
  /** Events the broker stored (valid + hostile). */
  readonly in: number;
  /** Valid events with at least one terminal outcome. */
  readonly out: number;
  /** Admitted without an outcome (reconcile's missing), stored and never admitted nor refused, hostile inputs with no letter. */
  readonly lost: number;
  /** Admitted with more than one terminal outcome (reconcile's doubled). */
  readonly doubled: number;
  /** Dead letters the flow's DLQ holds from this run. */
  readonly dlq: number;
  /** 99th percentile, first publish attempt → first terminal outcome, of events the fault held up (sent before it was over, not done before it began). */
  readonly p99DuringFaultMs: number | null;
  /** From the fault's repair to the first outcome after it (of an event sent after the fault began, when there is one). */
  readonly recoverMs: number | null;
  /** Events the broker never stored although the publisher kept trying (reported, not counted in `in`). */
  readonly notStored: number;
  readonly reconcile: { readonly admitted: number; readonly missing: Finding[]; readonly doubled: Finding[] };
  /** The run's injections and repairs as the operator's audit chain holds them. */
  readonly audited: readonly AuditedFault[];
  readonly findings: readonly string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** When the trail's first terminal outcome was stored. */
function firstOutcomeAt(t: TaskTrail | undefined): number | undefined {
  const times = [...(t?.results ?? []), ...(t?.letters ?? []), ...(t?.reviewRequests ?? [])].map((o) => o.at.getTime());
  return times.length ? Math.min(...times) : undefined;
}

function p99(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** Ingest's refusals of what this run published, told apart from any other letter by the inbound stream seq they name. */
async function refusalsOf(bus: Bus, flow: string, since: Date, inbound: ReadonlySet<number>): Promise<number> {
  let refused = 0;
  for (const m of await readStream(bus, streamNames.dlq, { filterSubject: subjects.dlq(flow), since })) {
    const letter = deadLetterSchema.safeParse(storedJson(m.data));
    if (letter.success && letter.data.stream === streamNames.in && inbound.has(letter.data.streamSeq)) refused++;
  }
  return refused;
}

/** Every consumer on the mesh's streams has nothing pending and nothing unacknowledged: no redelivery can still add an outcome. */
async function consumersSettled(bus: Bus): Promise<boolean> {
  for (const stream of Object.values(streamNames)) {
    const consumers = await consumerInfos(bus, stream).catch(() => undefined);
    if (!consumers) return false;
    if (consumers.some((c) => c.num_pending > 0 || c.num_ack_pending > 0)) return false;
  }
  return true;
}

/**
 * `mesh chaos <scenario>`: a sandbox mesh (or, with `target`, the operator's own), a steady workload from the operator
 * (an outside client: it publishes to mesh.in.<flow> like any system would), one fault, then the verdict from the
 * reconcile ledger over this run's events once they have settled.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const scenario = scenarioNamed(opts.scenario);
  const { target } = opts;
  if (target && needsFaultCommand(scenario.name) && !target.fault) {
    throw new Error(`${scenario.name} against a target mesh needs the operator's --fault command: the run cannot signal processes it did not start`);
  }
  const progress = opts.progress ?? (() => undefined);
  const events = opts.events ?? 300;
  const rate = opts.rate ?? 30;
  const downMs = opts.downMs ?? 5_000;
  const runId = randomUUID().slice(0, 8);
  const t0 = Date.now();
  const log = (line: string) => progress(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  log(`${scenario.name}: ${target ? `against the target mesh, the operator's fault ${target.fault ? `\`${target.fault}\`` : "(hostile inputs)"}` : scenario.summary}`);
  const sandbox: Sandbox | undefined = target
    ? undefined
    : await startSandbox({ agents: scenario.agents, broker: scenario.broker, ...(scenario.env ? { env: scenario.env } : {}), log });
  try {
    const operator = await connectOperator("chaos", sandbox?.operator);
    try {
      const since = new Date();
      const valid = validEvents(scenario.flow, events, runId);
      const poison = scenario.name === "poison" ? poisonEvents(runId, opts.poisonRounds ?? 5) : [];
      const publishDeadline = () => Date.now() + 120_000;
      const send = (s: Sent, msgId: string) => publishUntilStored(operator, scenario.flow, s, msgId, publishDeadline());
      const act = auditedFaults(operator, scenario.name);
      log(`${sandbox ? `sandbox up (${scenario.agents.join(", ")})` : "target mesh"}; publishing ${events} ${scenario.flow} events at ${rate}/s (source system chaos-${runId})`);

      // The fault begins a third of the way through the workload and once work flows (a first outcome: agents that
      // load a model on first use are then warm), so there is work before, during and after it.
      const faultAt = Date.now() + Math.round(((events / rate) * 1000) / 3);
      const fault = (async () => {
        await sleep(Math.max(0, faultAt - Date.now()));
        const own = new Set(valid.map((v) => v.envelopeId!));
        for (;;) {
          const { trails } = await readFlowLedger(operator.bus, scenario.flow, { since });
          if ([...trails.values()].some((t) => own.has(t.id) && firstOutcomeAt(t) !== undefined)) break;
          await sleep(250);
        }
        log(`fault: ${scenario.name}`);
        const ctx = {
          downMs,
          signal: opts.signal ?? "SIGKILL",
          sendPoison: async () => void (await Promise.all(poison.map((p, i) => send(p, `chaos:${runId}:poison:${i}`)))),
          act,
          log,
        };
        const f = sandbox
          ? await scenario.inject({ ...ctx, sandbox, bus: operator.bus })
          : target?.fault
            ? await operatorFault(ctx, { fault: target.fault, ...(target.repair ? { repair: target.repair } : {}) })
            : await sendHostileInputs(ctx);
        log(`fault over: ${f.description}`);
        return f;
      })();
      const publishing: Promise<boolean>[] = [];
      const started = Date.now();
      for (const [i, s] of valid.entries()) {
        await sleep(Math.max(0, started + (i * 1000) / rate - Date.now()));
        publishing.push(send(s, `chaos:${runId}:${i}`));
        if (i % Math.max(1, rate * 2) === 0 && i) log(`sent ${i}/${events} (stored ${valid.filter((v) => v.storedAt !== undefined).length})`);
      }
      const [faultDone] = await Promise.all([fault, Promise.all(publishing)]);

      const stored = [...valid, ...poison].filter((s) => s.storedAt !== undefined);
      const storedValid = valid.filter((s) => s.storedAt !== undefined);
      const ids = new Set(storedValid.map((s) => s.envelopeId!));
      const poisonSeqs = new Set(poison.flatMap((p) => (p.seq === undefined ? [] : [p.seq])));
      const settleDeadline = Date.now() + (opts.settleTimeoutMs ?? 180_000);
      const refused = () => refusalsOf(operator.bus, scenario.flow, since, poisonSeqs);
      for (;;) {
        // Right after a fault the operator's node may still be catching up: a read that fails is tried again.
        const settled = await (async () => {
          const seen = await reconcileFlow(operator.bus, scenario.flow, { since, only: ids });
          const done = [...ids].filter((id) => firstOutcomeAt(seen.ledger.trails.get(id)) !== undefined).length;
          const letters = await refused();
          log(`outcomes ${done}/${ids.size}, hostile inputs refused ${letters}/${poisonSeqs.size}`);
          // A live mesh's consumers are never idle for long: only in a sandbox does "nothing pending" mean this run's
          // redeliveries are over.
          return done === ids.size && letters >= poisonSeqs.size && (!sandbox || (await consumersSettled(operator.bus)));
        })().catch((err: Error) => (log(`streams not readable yet (${err.message})`), false));
        if (settled) break;
        if (Date.now() > settleDeadline) {
          log("settle timeout: judging what is there");
          break;
        }
        await sleep(1000);
      }
      const verdict = await reconcileFlow(operator.bus, scenario.flow, { since, only: ids });
      const trails = verdict.ledger.trails;
      const refusedPoison = await refused();
      const taskLetters = [...ids].reduce((n, id) => n + (trails.get(id)?.letters.length ?? 0), 0);
      const refusedValid = [...ids].reduce((n, id) => n + (trails.get(id)?.refusals.length ?? 0), 0);
      const neverAdmitted = storedValid.filter((s) => !trails.get(s.envelopeId!)?.admitted);
      const findings: string[] = [];
      for (const s of neverAdmitted) {
        const refusal = trails.get(s.envelopeId!)?.refusals[0]?.letter;
        findings.push(`stored but never admitted: ${s.envelopeId} (${refusal ? `refused by ingest: ${refusal.code} ${refusal.reason}` : "no trace"})`);
      }
      const poisonUnanswered = Math.max(0, poisonSeqs.size - refusedPoison);
      if (poisonUnanswered) findings.push(`${poisonUnanswered} hostile input(s) stored with no dead letter`);
      for (const f of verdict.missing) findings.push(`missing ${f.envelopeId}: ${f.detail}`);
      for (const f of verdict.doubled) findings.push(`doubled ${f.envelopeId}: ${f.detail}`);
      const outcomeOf = (s: Sent) => firstOutcomeAt(trails.get(s.envelopeId!));
      // Events the fault held up: sent before it was over, not finished before it began.
      const latencies = storedValid.flatMap((s) => {
        const at = outcomeOf(s);
        return at !== undefined && s.firstAttemptAt! <= faultDone.repairedAt && at >= faultDone.startedAt ? [at - s.firstAttemptAt!] : [];
      });
      // Recovery: the first outcome after the repair, of an event sent once the fault had begun when there are such
      // (new work flows again), else of one the fault held up.
      const afterRepair = (sentAfterFault: boolean) =>
        storedValid.flatMap((s) => {
          const at = outcomeOf(s);
          return at !== undefined && at >= faultDone.repairedAt && (!sentAfterFault || s.firstAttemptAt! >= faultDone.startedAt) ? [at] : [];
        });
      const resumed = afterRepair(true).length ? afterRepair(true) : afterRepair(false);
      return {
        scenario: scenario.name,
        fault: faultDone,
        in: stored.length,
        out: storedValid.filter((s) => outcomeOf(s) !== undefined).length,
        lost: verdict.missing.length + neverAdmitted.filter((s) => !trails.get(s.envelopeId!)?.refusals.length).length + poisonUnanswered,
        doubled: verdict.doubled.length,
        dlq: refusedPoison + taskLetters + refusedValid,
        p99DuringFaultMs: p99(latencies),
        recoverMs: resumed.length ? Math.min(...resumed) - faultDone.repairedAt : null,
        notStored: valid.length + poison.length - stored.length,
        reconcile: { admitted: verdict.admitted, missing: verdict.missing, doubled: verdict.doubled },
        audited: await auditedFaultsOf(operator, since),
        findings,
      };
    } finally {
      await operator.close().catch(() => undefined);
    }
  } finally {
    await sandbox?.stop();
  }
}
