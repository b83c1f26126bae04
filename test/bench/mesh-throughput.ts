/**
 * The mesh against raw nats.js of the same shape, in one run on one broker.
 *
 * The mesh runs as `mesh up` runs it (cli/commands/up.ts: its own broker with every agent an nkey identity limited to
 * its grants, checkpoints signed, each agent its own process launched by cli/agent-process.ts): invoices go
 * publisher → MESH_IN → ingest → MESH_TASK → invoice → MESH_RESULT / MESH_REVIEW. The raw baseline is the same
 * pipeline without the mesh: two stage processes (raw-stage.ts) with the agents' concurrency, consumers copied
 * from the agents' own, streams configured as the mesh's (file storage, work-queue inbound, dedupe window),
 * the same inbound bodies, output bodies of the mesh's own sizes, message ids and headers.
 *
 * Printed: tasks/s of each and the ratio; p50/p95/p99 end to end and per hop at half of each one's maximum;
 * NATS messages, JetStream publishes and bytes stored per task (from the broker's /varz and /jsz); CPU µs per
 * task per process; each agent's CPU and RSS when it first says ready. Only ratios travel between machines.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { connect, headers as natsHeaders, nkeyAuthenticator, type ConsumerConfig, type Msg, type NatsConnection } from "nats";
import type { RunningMesh } from "../../cli/commands/up.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { streamConfigs, defaultTopologyOptions, streamNames, subjects } from "../../shared/bus/index.js";
import { brokerSnapshot, perTask, type PerTask } from "./broker-stats.js";
import { processUsage, type ProcessUsage } from "./process-usage.js";
import { distStartup, type DistStartup } from "./dist-startup.js";
import { startBenchBroker } from "./bench-broker.js";
import { drive, quantile, type Pipeline, type RunTimes } from "./pipeline-load.js";

const count = Number(process.env.BENCH_TASKS ?? 2000);
const warmup = 300;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Same size as the runtime's W3C traceparent, so the raw baseline's headers weigh what the mesh's do.
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

interface Side {
  readonly pipeline: Pipeline;
  /** Cumulative CPU seconds of each process of the side. */
  cpu(): Record<string, number>;
}

interface SideResult {
  readonly max: RunTimes;
  readonly atHalf: RunTimes;
  readonly broker: PerTask;
  readonly cpuUsPerTask: Record<string, number>;
}

function meshSide(mesh: RunningMesh, nc: NatsConnection): Side {
  // Built by drive() before it starts the clock (keyOfTask), so making them is not timed.
  const runs = new Map<string, { keys: string[]; bodies: Uint8Array[] }>();
  const of = (run: string) => {
    let r = runs.get(run);
    if (!r) {
      const events = invoiceEvents(count, { system: `bench-${run}` });
      runs.set(run, (r = { keys: events.map((e) => sourceKey(e.source)), bodies: events.map((e) => encoder.encode(JSON.stringify(e))) }));
    }
    return r;
  };
  const sourceKey = (s: { system: string; id: string }) => `${s.system}/${s.id}`;
  const js = nc.jetstream();
  return {
    pipeline: {
      name: "mesh",
      publish: (run, i) => js.publish(subjects.inbound("invoice"), of(run).bodies[i]!, { msgID: `${run}-${i}` }),
      keyOfTask: (run, i) => of(run).keys[i]!,
      hopSubject: subjects.task("invoice", "ingested"),
      endSubjects: [subjects.result("invoice"), subjects.reviewRequested("invoice")],
      keyOf(m) {
        const body = JSON.parse(decoder.decode(m.data)) as { source?: { system: string; id: string }; envelope?: { source: { system: string; id: string } } };
        const source = body.source ?? body.envelope?.source;
        return source ? sourceKey(source) : undefined;
      },
    },
    cpu: () => Object.fromEntries(mesh.agents.map((a) => [a.name, processUsage(a.child.pid!).cpuSeconds])),
  };
}

/** The raw baseline's streams and consumers: the mesh's own configurations under other names and subjects. */
async function declareRaw(nc: NatsConnection, replicas: number): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const configs = streamConfigs({ ...defaultTopologyOptions, replicas });
  const renamed = { [streamNames.in]: "BENCH_IN", [streamNames.task]: "BENCH_TASK", [streamNames.result]: "BENCH_RESULT" } as Record<string, string>;
  for (const config of configs) {
    const name = renamed[config.name!];
    if (name) await jsm.streams.add({ ...config, name, subjects: [config.subjects![0]!.replace(/^mesh\./, "bench.")] });
  }
  for (const [stream, durable, filter] of [
    [streamNames.in, "ingest", "bench.in.>"],
    [streamNames.task, "invoice", "bench.task.invoice.ingested"],
  ] as const) {
    const { config } = await jsm.consumers.info(stream, durable);
    await jsm.consumers.add(renamed[stream]!, { ...(config as ConsumerConfig), durable_name: durable, filter_subject: filter });
  }
}

function startRawStage(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("raw-stage.ts", import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`raw stage ${env.STAGE_DURABLE} exited with ${code} before it was ready`)));
  });
}

function rawSide(nc: NatsConnection, stages: readonly ChildProcess[]): Side {
  const bodies = invoiceEvents(count).map((e) => encoder.encode(JSON.stringify(e)));
  const js = nc.jetstream();
  return {
    pipeline: {
      name: "raw",
      publish(run, i) {
        const h = natsHeaders();
        h.set("traceparent", traceparent);
        return js.publish("bench.in.invoice", bodies[i]!, { msgID: `${run}-${i}`, headers: h });
      },
      keyOfTask: (run, i) => `${run}-${i}`,
      hopSubject: "bench.task.invoice.ingested",
      endSubjects: ["bench.result.invoice"],
      keyOf: (m: Msg) => m.headers?.get("Mesh-Envelope") || undefined,
    },
    cpu: () => ({ "raw ingest": processUsage(stages[0]!.pid!).cpuSeconds, "raw invoice": processUsage(stages[1]!.pid!).cpuSeconds }),
  };
}

async function measure(side: Side, nc: NatsConnection, monitorPorts: readonly number[], run: string): Promise<SideResult> {
  const [cpu0, broker0] = [side.cpu(), await brokerSnapshot(monitorPorts)];
  const max = await drive(nc, side.pipeline, `${run}-max`, count);
  const [cpu1, broker1] = [side.cpu(), await brokerSnapshot(monitorPorts)];
  const rate = max.perSecond / 2;
  const atHalf = await drive(nc, side.pipeline, `${run}-half`, Math.round(Math.min(count, Math.max(300, rate * 5))), rate);
  const cpuUsPerTask = Object.fromEntries(Object.keys(cpu1).map((k) => [k, ((cpu1[k]! - cpu0[k]!) * 1e6) / count]));
  return { max, atHalf, broker: perTask(broker0, broker1, count), cpuUsPerTask };
}

/** Body size of the newest message on `subject`: what the raw stage publishes in place of the mesh's. */
async function lastBodyBytes(nc: NatsConnection, stream: string, subject: string): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.getMessage(stream, { last_by_subj: subject })).data.length;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const latencyLine = (label: string, values: readonly number[]) =>
  `    ${label.padEnd(22)} p50 ${ms(quantile(values, 0.5)).padStart(9)}  p95 ${ms(quantile(values, 0.95)).padStart(9)}  p99 ${ms(quantile(values, 0.99)).padStart(9)}`;

function printSide(name: string, r: SideResult): void {
  const b = r.broker;
  console.log(`  ${name}: ${r.max.perSecond.toFixed(0)} tasks/s (${r.max.tasks} tasks in ${r.max.seconds.toFixed(2)} s)`);
  console.log(`    latency at ${(r.max.perSecond / 2).toFixed(0)} tasks/s (half of max), ${r.atHalf.tasks} tasks:`);
  console.log(latencyLine("end to end", r.atHalf.endToEnd));
  console.log(latencyLine("hop 1 (→ ingested)", r.atHalf.hop1));
  console.log(latencyLine("hop 2 (→ outcome)", r.atHalf.hop2));
  console.log(`    per task: ${b.jsPublishes.toFixed(2)} JetStream publishes (${Object.entries(b.jsPublishesByStream).map(([s, n]) => `${s} ${n.toFixed(2)}`).join(", ")})`);
  console.log(`              ${b.natsInMsgs.toFixed(1)} NATS messages in, ${b.natsOutMsgs.toFixed(1)} out; ${(b.bytesStored / 1024).toFixed(2)} KiB stored`);
  console.log(`    CPU per task: ${Object.entries(r.cpuUsPerTask).map(([k, v]) => `${k} ${v.toFixed(0)} µs`).join(", ")}`);
}

export interface MeshBenchResult {
  readonly mesh: SideResult;
  readonly raw: SideResult;
  /** mesh / raw tasks per second (1 = as fast as the raw pipeline of the same shape). */
  readonly ratio: number;
  /** Each agent's CPU since its start and RSS right after `mesh up` saw every agent ready (run from source, through tsx). */
  readonly startup: Record<string, ProcessUsage>;
  /** Each agent run from the build (dist/agent.js), as the image and a built `mesh up` run it. */
  readonly distStartup: Record<string, DistStartup>;
}

/** With `r3`, on a 3-node cluster with every stream at 3 replicas (the mesh's and the raw baseline's alike). */
export async function run(r3 = false): Promise<MeshBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "mesh-bench-"));
  process.env.MESH_DIR = dir;
  const rawStages: ChildProcess[] = [];
  let broker: Awaited<ReturnType<typeof startBenchBroker>> | undefined;
  let nc: NatsConnection | undefined;
  try {
    const upStarted = performance.now();
    broker = await startBenchBroker(["ingest", "invoice"], dir, r3);
    const { mesh, monitorPorts, replicas } = broker;
    const upSeconds = (performance.now() - upStarted) / 1000;
    const startup = Object.fromEntries(mesh.agents.map((a) => [a.name, processUsage(a.child.pid!)]));
    const seed = broker.operatorSeed;
    nc = await connect({ servers: mesh.natsUrl, name: "bench", authenticator: nkeyAuthenticator(encoder.encode(seed)), noAsyncTraces: true });
    const meshS = meshSide(mesh, nc);
    await drive(nc, meshS.pipeline, "warmup", warmup);
    await declareRaw(nc, replicas);
    const stage = { NATS_URL: mesh.natsUrl, NATS_NKEY_SEED: seed };
    rawStages.push(
      await startRawStage({ ...stage, STAGE_STREAM: "BENCH_IN", STAGE_DURABLE: "ingest", STAGE_OUT: "bench.task.invoice.ingested", STAGE_CONCURRENCY: "64", STAGE_OUT_BYTES: String(await lastBodyBytes(nc, streamNames.task, subjects.task("invoice", "ingested"))) }),
      await startRawStage({ ...stage, STAGE_STREAM: "BENCH_TASK", STAGE_DURABLE: "invoice", STAGE_OUT: "bench.result.invoice", STAGE_CONCURRENCY: "32", STAGE_OUT_BYTES: String(await lastBodyBytes(nc, streamNames.result, subjects.result("invoice"))) }),
    );
    const rawS = rawSide(nc, rawStages);
    await drive(nc, rawS.pipeline, "warmup", warmup);
    const raw = await measure(rawS, nc, monitorPorts, "raw");
    const meshR = await measure(meshS, nc, monitorPorts, "mesh");
    const ratio = meshR.max.perSecond / raw.max.perSecond;
    const built = await distStartup(mesh.agents);
    console.log(`mesh vs raw nats.js of the same shape: ${count} invoices, publisher → ingest → invoice, each stage its own process`);
    if (r3) console.log("(on a 3-node JetStream cluster, every stream of both at 3 replicas; NATS messages are summed over the nodes, routes included)");
    console.log(`(mesh as \`mesh up\` runs it: nkey identities with broker permissions, signed audit chains; raw: same streams, consumers, concurrency, ids, headers, body sizes)`);
    printSide("raw nats.js", raw);
    printSide("mesh", meshR);
    console.log(`  ratio mesh / raw: ${ratio.toFixed(2)} (throughput), ${(quantile(meshR.atHalf.endToEnd, 0.99) / quantile(raw.atHalf.endToEnd, 0.99)).toFixed(1)}x (p99 end to end at half of max)`);
    console.log(`  agents at ready from source via tsx (mesh up took ${upSeconds.toFixed(2)} s): ${Object.entries(startup).map(([k, v]) => `${k} ${v.cpuSeconds.toFixed(2)} s CPU, ${v.rssMiB.toFixed(0)} MiB RSS`).join("; ")}`);
    console.log(
      `  agents at ready from the build (dist/agent.js): ${Object.entries(built).map(([k, v]) => `${k} ${v.atReady.cpuSeconds.toFixed(2)} s CPU, ${v.atReady.rssMiB.toFixed(0)} MiB RSS, ${v.idleRssMiB.toFixed(0)} MiB idle`).join("; ")}`,
    );
    return { mesh: meshR, raw, ratio, startup, distStartup: built };
  } finally {
    await nc?.close();
    for (const child of rawStages) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.includes("--r3"));
