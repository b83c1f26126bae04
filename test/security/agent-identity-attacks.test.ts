import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { connectBus, streamNames, subjects } from "../../shared/bus/index.js";
import type { RawBus as Bus } from "../../shared/bus/connection.js";
import { listAgents, loadAgentDefinition } from "../../shared/runtime/index.js";
import { consumerSpecs } from "../../shared/runtime/consumer-specs.js";
import { declareAgentTopology } from "../../shared/runtime/mesh-topology.js";
import { inboxPrefixOf } from "../../policy/nats-permissions/index.js";
import { startSecureNats, type TestNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";
import { connectRawBus } from "../helpers/nats.js";

/**
 * What a process holding one agent's seed can do to the rest of the mesh, on a broker configured exactly as
 * `mesh up` renders it (cli/broker-identities.ts): each attack is a raw JetStream API request or a raw publish or
 * subscribe, so nothing in the runtime stands between the attacker and the broker.
 */
const agents = listAgents();
const encoder = new TextEncoder();
const violation = /Permissions Violation/i;

async function meshWithTopology(t: TestContext): Promise<{ nats: TestNats; operator: Bus }> {
  const nats = await startSecureNats(t, agents);
  const operator = await nats.connect("operator");
  for (const name of agents) await declareAgentTopology(operator, await loadAgentDefinition(name));
  // Something to steal: one task message and one review-queue entry.
  await operator.js.publish(subjects.task("ticket", "ingested"), encoder.encode(JSON.stringify({ text: "my card is 4111 1111 1111 1111" })));
  const reviewQueue = await operator.js.views.kv("mesh_state_review", { bindOnly: true });
  await reviewQueue.put("item.secret", encoder.encode("{}"));
  return { nats, operator };
}

async function connectAs(t: TestContext, nats: TestNats, agent: string): Promise<Bus> {
  const bus = await connectRawBus({ servers: nats.url, name: `attacker-${agent}`, seed: nats.identities!.agents[agent]!, inboxPrefix: inboxPrefixOf(agent), reconnect: false });
  t.after(() => bus.nc.close());
  return bus;
}

/** A raw API request; resolves with the refusal's message, fails the test if the broker answered at all. */
async function refused(bus: Bus, subject: string, body: unknown = {}): Promise<string> {
  try {
    const reply = await bus.nc.request(subject, encoder.encode(JSON.stringify(body)), { timeout: 5000 });
    assert.fail(`${subject} was answered: ${new TextDecoder().decode(reply.data)}`);
  } catch (err) {
    const message = String((err as Error).message);
    assert.match(message, violation, `${subject}: ${message}`);
    return message;
  }
}

const otherThan = (agent: string) => agents.find((a) => a !== agent)!;

test("the broker refuses an anonymous client", async (t) => {
  const { nats } = await meshWithTopology(t);
  await assert.rejects(connectBus({ servers: nats.url, name: "anonymous", reconnect: false }), /authorization/i);
});

test("no agent identity can read a stored task or another agent's bucket by message get", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  assert.equal((await operator.jsm.streams.getMessage(streamNames.task, { seq: 1 })).seq, 1, "the message is there: the operator reads it");
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    await refused(bus, `$JS.API.STREAM.MSG.GET.${streamNames.task}`, { seq: 1 });
    await refused(bus, `$JS.API.DIRECT.GET.${streamNames.task}`, { seq: 1 });
    const bucket = agent === "review" ? "mesh_state_trainer" : "mesh_state_review";
    await refused(bus, `$JS.API.DIRECT.GET.KV_${bucket}.$KV.${bucket}.item.secret`);
    await refused(bus, `$JS.API.STREAM.MSG.GET.KV_${bucket}`, { last_by_subj: `$KV.${bucket}.item.secret` });
  }
});

test("no agent identity can shrink the audit stream: STREAM.UPDATE is refused and its config is unchanged", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  const before = (await operator.jsm.streams.info(streamNames.audit)).config;
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    await refused(bus, `$JS.API.STREAM.UPDATE.${streamNames.audit}`, { ...before, max_msgs: 1, deny_delete: false, deny_purge: false });
  }
  assert.deepEqual((await operator.jsm.streams.info(streamNames.audit)).config, before);
});

test("no agent identity can delete another agent's durable consumer", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  for (const agent of agents) {
    const victim = await loadAgentDefinition(otherThan(agent));
    const [spec] = consumerSpecs(victim);
    const bus = await connectAs(t, nats, agent);
    await refused(bus, `$JS.API.CONSUMER.DELETE.${spec!.stream}.${spec!.durable}`);
    const own = consumerSpecs(await loadAgentDefinition(agent))[0]!;
    await refused(bus, `$JS.API.CONSUMER.DELETE.${own.stream}.${own.durable}`);
    assert.equal((await operator.jsm.consumers.info(spec!.stream, spec!.durable)).name, spec!.durable);
  }
});

test("no agent identity can write an audit record under another writer's name", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    await assert.rejects(bus.js.publish(subjects.audit("eu", undefined, otherThan(agent)), encoder.encode("{}")), violation, agent);
    await assert.rejects(bus.js.publish(subjects.audit("eu", undefined, "operator"), encoder.encode("{}")), violation, agent);
  }
  assert.equal((await operator.jsm.streams.info(streamNames.audit)).state.messages, 0);
});

test("no agent identity can create a stream that republishes into another flow's results", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    await refused(bus, `$JS.API.STREAM.CREATE.EVIL_${agent.toUpperCase()}`, {
      name: `EVIL_${agent.toUpperCase()}`,
      subjects: [`evil.${agent}.>`],
      storage: "memory",
      republish: { src: ">", dest: subjects.result("invoice") },
    });
  }
  const names: string[] = [];
  for await (const s of operator.jsm.streams.list()) names.push(s.config.name);
  assert.ok(!names.some((n) => n.startsWith("EVIL")), names.join(", "));
});

test("no agent identity can subscribe to another identity's reply inbox, nor to the shared default inbox", { timeout: 120_000 }, async (t) => {
  const { nats } = await meshWithTopology(t);
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    for (const subject of [`${inboxPrefixOf(otherThan(agent))}.>`, "_INBOX.>"]) {
      let refusal: Error | undefined;
      bus.nc.subscribe(subject, { callback: (err) => (refusal ??= err ?? undefined) });
      await bus.nc.flush();
      const err = await waitFor(`the broker to refuse ${agent} subscribing to ${subject}`, async () => refusal, { timeoutMs: 10_000, intervalMs: 20 });
      assert.match(err.message, violation);
      assert.match(err.message, /Subscription/i);
    }
  }
});

test("no agent identity can write the policy bucket or register an identity", { timeout: 120_000 }, async (t) => {
  const { nats, operator } = await meshWithTopology(t);
  for (const agent of agents) {
    const bus = await connectAs(t, nats, agent);
    await assert.rejects(bus.js.publish("$KV.mesh_policy.current", encoder.encode("revision: 99")), violation, agent);
    await assert.rejects(bus.js.publish(`$KV.mesh_identities.U${"A".repeat(55)}`, encoder.encode("{}")), violation, agent);
  }
  assert.equal((await operator.jsm.streams.info("KV_mesh_policy")).state.messages, 0);
});
