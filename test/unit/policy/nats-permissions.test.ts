import { test } from "node:test";
import assert from "node:assert/strict";
import { connectBus, publish, readStream, streamNames, subjects } from "../../../shared/bus/index.js";
import type { RawBus as Bus } from "../../../shared/bus/connection.js";
import { openRateLimitStore } from "../../../shared/bus/rate-limit-store.js";
import { loadAgentDefinition } from "../../../shared/runtime/index.js";
import { brokerFootprint } from "../../../shared/runtime/broker-footprint.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { agentsOf, brokerPermissions, inboxPrefixOf } from "../../../policy/nats-permissions/index.js";
import { startSecureNats } from "../../helpers/nats.js";
import { connectRawBus } from "../../helpers/nats.js";

const doc = loadPolicyFile(defaultPolicyPath).document;
const permissionsOf = async (agent: string) => brokerPermissions(doc, agent, brokerFootprint(await loadAgentDefinition(agent), doc));

test("an agent's broker permissions are its publishing grants, its own audit subjects and its own consumers' API, nothing wider", async () => {
  const invoice = await permissionsOf("invoice");
  for (const s of [
    "mesh.task.invoice.*",
    "mesh.review.invoice.requested",
    "mesh.dlq.invoice",
    "mesh.result.invoice",
    subjects.auditOf("invoice"),
    "$JS.API.CONSUMER.MSG.NEXT.MESH_TASK.invoice",
    "$JS.API.CONSUMER.INFO.MESH_TASK.invoice",
    "$JS.ACK.MESH_TASK.invoice.>",
  ])
    assert.ok(invoice.publish.allow.includes(s), s);
  for (const s of ["$JS.API.>", "$JS.ACK.>", "mesh.audit.>", "$JS.API.STREAM.MSG.GET.MESH_TASK", "$KV.mesh_seen.>", "$JS.API.DIRECT.GET.KV_mesh_seen.>"])
    assert.ok(!invoice.publish.allow.includes(s), `not ${s}`);
  assert.ok(!invoice.publish.allow.some((s) => s.includes("ticket")));
  assert.ok(!invoice.publish.allow.some((s) => /STREAM\.(CREATE|UPDATE|DELETE)|CONSUMER\.(DELETE|DURABLE)/.test(s)), "no stream or consumer management");
  assert.ok(invoice.publish.deny.includes("$JS.API.STREAM.PURGE.>"));
  assert.deepEqual(
    invoice.subscribe.allow.filter((s) => s.includes("INBOX")),
    [`${inboxPrefixOf("invoice")}.>`],
    "replies only under its own inbox prefix",
  );
  assert.ok((await permissionsOf("triage")).publish.allow.includes("$JS.API.CONSUMER.MSG.NEXT.MESH_REVIEW.triage-resume"), "an agent that resumes pulls its decisions");
  assert.ok((await permissionsOf("trainer")).subscribe.allow.includes("mesh.label.*"), "data.read grants become subscriptions");
  assert.deepEqual(agentsOf(doc), ["extract", "ingest", "invoice", "review", "social", "trainer", "triage"]);
  assert.ok(!agentsOf(doc).includes("rogue"));
});

test("a process holding an agent's seed but using a raw connection cannot publish outside its grant", async (t) => {
  const nats = await startSecureNats(t, ["invoice", "triage"]);
  const ids = nats.identities!;
  const buses: Bus[] = [];
  t.after(() => Promise.allSettled(buses.map((b) => b.nc.close())));
  const connectAs = async (agent: string) => {
    const bus = await connectRawBus({ servers: nats.url, name: agent, seed: ids.agents[agent]!, inboxPrefix: inboxPrefixOf(agent) });
    buses.push(bus);
    return bus;
  };
  const operator = await nats.connect("operator");
  const invoice = await connectAs("invoice");
  const ok = await publish(invoice, "mesh.result.invoice", { ok: true }, { msgId: "allowed-1" });
  assert.equal(ok.stream, streamNames.result);
  await publish(invoice, subjects.audit("eu", undefined, "invoice"), { own: true }, { msgId: "audit-1" });

  await assert.rejects(publish(invoice, "mesh.result.ticket", { forged: true }, { msgId: "forged-1" }), /permission/i);
  invoice.nc.publish("mesh.task.ticket.ingested", new TextEncoder().encode("{}"));
  invoice.nc.publish(subjects.audit("eu", undefined, "triage"), new TextEncoder().encode("{}"));
  await invoice.nc.flush();
  await assert.rejects(invoice.jsm.streams.purge(streamNames.audit), /permission|timeout/i);

  const results = await readStream(operator, streamNames.result);
  assert.deepEqual(results.map((m) => m.subject), ["mesh.result.invoice"], "the forged result never reached the stream");
  assert.equal((await readStream(operator, streamNames.task)).length, 0, "the raw publish outside the grant was refused by the broker");
  assert.deepEqual(
    (await readStream(operator, streamNames.audit)).map((m) => m.subject),
    [subjects.audit("eu", undefined, "invoice")],
    "its own audit subject is granted, another writer's is not, and the stream was not purged",
  );
  await assert.rejects(connectBus({ servers: nats.url, name: "anonymous", reconnect: false }), /authorization/i);

  // Triage's grants carry a rate limit, so its identity can take tokens; invoice's cannot touch the counters.
  const triageStore = await openRateLimitStore(await connectAs("triage"));
  assert.equal((await triageStore.take("triage:social-reply", 5, 60_000)).allowed, true);
  const invoiceStore = await openRateLimitStore(invoice);
  await assert.rejects(invoiceStore.take("triage:social-reply", 5, 60_000), /permission|timeout/i);
});

test("only the trainer's broker identity may write model versions and the promoted pointer", async () => {
  for (const agent of agentsOf(doc)) {
    const allow = (await permissionsOf(agent)).publish.allow;
    const writesModels = allow.includes("$O.mesh_models.>") && allow.includes("$KV.mesh_models_current.>");
    assert.equal(writesModels, agent === "trainer", agent);
  }
});

test("an agent whose grants carry a rate limit may update the shared rate-limit counters", async () => {
  assert.ok((await permissionsOf("triage")).publish.allow.includes("$KV.mesh_ratelimit.>"));
  assert.ok(!(await permissionsOf("invoice")).publish.allow.includes("$KV.mesh_ratelimit.>"));
});

test("data-class grants are decryption rights and add no broker subscription", async () => {
  const withoutClassGrants = { ...doc, rules: doc.rules.filter((r) => !r.resources?.dataClasses) };
  for (const agent of ["invoice", "triage", "review"]) {
    assert.ok(doc.rules.some((r) => r.resources?.dataClasses && r.principals.includes(agent)), `${agent} has a data-class grant`);
    const footprint = brokerFootprint(await loadAgentDefinition(agent), doc);
    assert.deepEqual(brokerPermissions(doc, agent, footprint), brokerPermissions(withoutClassGrants, agent, footprint), agent);
  }
  assert.ok(!(await permissionsOf("triage")).subscribe.allow.some((s) => s.startsWith("mesh.task.")));
});
