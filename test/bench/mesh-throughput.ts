/**
 * Mesh throughput: 2,000 invoices through ingest → invoice (two agent processes, policy, audit, dedupe), against
 * the same count of messages published and consumed with raw nats.js on the same broker in the same run.
 * The ratio says what the mesh's guarantees cost; the agents' RSS says whether memory stays bounded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AckPolicy, connect } from "nats";
import { spawnAgent, waitReady } from "../../cli/agent-process.js";
import { freePort, startLocalNats } from "../../cli/local-nats.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { connectBus, publish, registerIdentity, streamNames, subjects } from "../../shared/bus/index.js";
import { loadAgentDefinition } from "../../shared/runtime/index.js";
import { initMeshTopology } from "../../shared/runtime/mesh-topology.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { testDataKeysJson } from "../helpers/data-keys.js";
import { parseExposition } from "../../shared/telemetry/index.js";

export interface ThroughputResult {
  readonly count: number;
  readonly rawPerSecond: number;
  readonly meshPerSecond: number;
  /** raw / mesh: how many times slower the mesh is than bare JetStream publish + consume + ack. */
  readonly ratio: number;
  readonly agentRssMiB: Record<string, number>;
}

async function rawBaseline(url: string, count: number): Promise<number> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.raw.>"] });
  await jsm.consumers.add("BENCH_RAW", { durable_name: "raw", ack_policy: AckPolicy.Explicit });
  const js = nc.jetstream();
  const body = new TextEncoder().encode(JSON.stringify(invoiceEvents(1)[0]));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => js.publish("bench.raw.in", body, { msgID: `raw-${i}` })));
  const consumer = await js.consumers.get("BENCH_RAW", "raw");
  let seen = 0;
  const messages = await consumer.consume({ max_messages: 64 });
  for await (const m of messages) {
    // The baseline does the same two round trips per message as an agent's minimum: one publish, one ack.
    await js.publish("bench.raw.out", m.data, { msgID: `out-${m.seq}` });
    await m.ackAck();
    if (++seen >= count) break;
  }
  const elapsed = (performance.now() - t0) / 1000;
  await nc.drain();
  return count / elapsed;
}

export async function run(opts: { count?: number; print?: boolean } = {}): Promise<ThroughputResult> {
  const count = opts.count ?? 2000;
  const dir = mkdtempSync(join(tmpdir(), "mesh-bench-"));
  const nats = await startLocalNats({ dataDir: dir });
  const agents: ReturnType<typeof spawnAgent>[] = [];
  try {
    const rawPerSecond = await rawBaseline(nats.url, count);
    // As `mesh up` does: the operator declares the topology and registers each agent's identity.
    const names = ["ingest", "invoice"];
    const operator = await connectBus({ servers: nats.url, name: "bench-operator" });
    await initMeshTopology(operator, await Promise.all(names.map(async (n) => ({ def: await loadAgentDefinition(n) }))));
    const seeds = Object.fromEntries(names.map((n) => [n, createSigningKey()]));
    for (const [name, key] of Object.entries(seeds)) await registerIdentity(operator, { publicKey: key.publicKey, name, kind: "agent" });
    await operator.close();
    for (const name of names) {
      const env = { NATS_URL: nats.url, LOG_LEVEL: "warn", MESH_DATA_KEYS: testDataKeysJson, MESH_IDENTITY_SEED: seeds[name]!.seed };
      const a = spawnAgent(name, env, await freePort(), join(dir, `${name}.log`));
      agents.push(a);
      await waitReady(a);
    }
    const bus = await connectBus({ servers: nats.url, name: "bench" });
    const events = invoiceEvents(count, { system: "bench" });
    const t0 = performance.now();
    await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `b-${i}` })));
    for (;;) {
      const [results, reviews] = await Promise.all([bus.jsm.streams.info(streamNames.result), bus.jsm.streams.info(streamNames.review)]);
      if (results.state.messages + reviews.state.messages >= count) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const meshPerSecond = count / ((performance.now() - t0) / 1000);
    await bus.close();
    const agentRssMiB: Record<string, number> = {};
    for (const a of agents) {
      const text = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
      const rss = parseExposition(text).find((s) => s.name === "process_resident_memory_bytes")?.value ?? 0;
      agentRssMiB[a.name] = Math.round(rss / 1024 / 1024);
    }
    const result = { count, rawPerSecond, meshPerSecond, ratio: rawPerSecond / meshPerSecond, agentRssMiB };
    if (opts.print !== false) {
      console.log(`mesh throughput: ${count} invoices through ingest → invoice (policy, audit, dedupe, two processes)`);
      console.log(`  raw nats.js publish+consume+publish+ack  ${rawPerSecond.toFixed(0).padStart(7)} msg/s`);
      console.log(`  mesh end to end                           ${meshPerSecond.toFixed(0).padStart(7)} tasks/s`);
      console.log(`  ratio (raw / mesh)                        ${result.ratio.toFixed(1)}x`);
      console.log(`  agent RSS after the run: ${Object.entries(agentRssMiB).map(([k, v]) => `${k} ${v} MiB`).join(", ")}`);
    }
    return result;
  } finally {
    for (const a of agents) {
      a.child.kill("SIGTERM");
      await a.exited;
    }
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
