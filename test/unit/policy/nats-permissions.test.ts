import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalNats } from "../../../cli/local-nats.js";
import { connectBus, publish, readStream, streamNames, type Bus } from "../../../shared/bus/index.js";
import { openRateLimitStore } from "../../../shared/bus/rate-limit-store.js";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { agentsOf, brokerPermissions, generateCredentials, renderNatsAuthorization } from "../../../policy/nats-permissions/index.js";

const doc = loadPolicyFile(defaultPolicyPath).document;

test("each agent's broker permissions are its publishing grants plus what a JetStream client needs", () => {
  const invoice = brokerPermissions(doc, "invoice");
  for (const s of ["mesh.task.invoice.*", "mesh.review.invoice.requested", "mesh.dlq.invoice", "mesh.result.invoice", "$JS.API.>", "mesh.audit.>"])
    assert.ok(invoice.publish.allow.includes(s), s);
  assert.ok(!invoice.publish.allow.some((s) => s.includes("ticket")));
  assert.ok(invoice.publish.deny.includes("$JS.API.STREAM.PURGE.>"));
  assert.ok(invoice.subscribe.allow.includes("_INBOX.>"));
  assert.ok(brokerPermissions(doc, "trainer").subscribe.allow.includes("mesh.label.*"), "data.read grants become subscriptions");
  assert.deepEqual(agentsOf(doc), ["ingest", "invoice", "review", "trainer", "triage"]);
  assert.ok(!agentsOf(doc).includes("rogue"));
});

test("a process holding an agent's credentials but using a raw connection cannot publish outside its grant", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mesh-perm-"));
  const credentials = generateCredentials(agentsOf(doc));
  const admin = { user: "admin", password: "admin-secret-for-this-test" };
  const nats = await startLocalNats({
    dataDir: dir,
    logFile: join(dir, "nats.log"),
    extraConfig: renderNatsAuthorization(doc, { credentials, unrestricted: [admin] }),
  });
  const buses: Bus[] = [];
  t.after(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const connectAs = async (c: { user: string; password: string }, declareTopology = false) => {
    const bus = await connectBus({ servers: nats.url, name: c.user, user: c.user, pass: c.password, declareTopology });
    buses.push(bus);
    return bus;
  };
  const operator = await connectAs(admin, true);
  // The agent identity can still do what an agent does: declare topology and publish inside its grant.
  const invoice = await connectAs(credentials.invoice!, true);
  const ok = await publish(invoice, "mesh.result.invoice", { ok: true }, { msgId: "allowed-1" });
  assert.equal(ok.stream, streamNames.result);

  await assert.rejects(publish(invoice, "mesh.result.ticket", { forged: true }, { msgId: "forged-1" }), /permission/i);
  invoice.nc.publish("mesh.task.ticket.ingested", new TextEncoder().encode("{}"));
  invoice.nc.publish("mesh.audit.eu", new TextEncoder().encode("{}"));
  await invoice.nc.flush();
  await assert.rejects(invoice.jsm.streams.purge(streamNames.audit), /permission|timeout/i);

  const results = await readStream(operator, streamNames.result);
  assert.deepEqual(results.map((m) => m.subject), ["mesh.result.invoice"], "the forged result never reached the stream");
  const tasks = await readStream(operator, streamNames.task);
  assert.equal(tasks.length, 0, "the raw publish outside the grant was refused by the broker");
  assert.equal((await readStream(operator, streamNames.audit)).length, 1, "audit publishing is granted and the stream was not purged");
  await assert.rejects(connectAs({ user: "rogue", password: "guess" }), /authorization/i);

  // Triage's grants carry a rate limit, so its identity can take tokens; invoice's cannot touch the counters.
  const triageStore = await openRateLimitStore(await connectAs(credentials.triage!));
  assert.equal((await triageStore.take("triage:social-reply", 5, 60_000)).allowed, true);
  const invoiceStore = await openRateLimitStore(invoice);
  await assert.rejects(invoiceStore.take("triage:social-reply", 5, 60_000), /permission|timeout/i);
});

test("only the trainer's broker identity may write model versions and the promoted pointer", () => {
  for (const agent of agentsOf(doc)) {
    const allow = brokerPermissions(doc, agent).publish.allow;
    const writesModels = allow.includes("$O.mesh_models.>") && allow.includes("$KV.mesh_models_current.>");
    assert.equal(writesModels, agent === "trainer", agent);
  }
});

test("an agent whose grants carry a rate limit may update the shared rate-limit counters", () => {
  assert.ok(brokerPermissions(doc, "triage").publish.allow.includes("$KV.mesh_ratelimit.>"));
  assert.ok(!brokerPermissions(doc, "invoice").publish.allow.includes("$KV.mesh_ratelimit.>"));
});

test("data-class grants are decryption rights and add no broker subscription", () => {
  const withoutClassGrants = { ...doc, rules: doc.rules.filter((r) => !r.resources?.dataClasses) };
  for (const agent of ["invoice", "triage", "review"]) {
    assert.ok(doc.rules.some((r) => r.resources?.dataClasses && r.principals.includes(agent)), `${agent} has a data-class grant`);
    assert.deepEqual(brokerPermissions(doc, agent), brokerPermissions(withoutClassGrants, agent), agent);
  }
  assert.ok(!brokerPermissions(doc, "triage").subscribe.allow.some((s) => s.startsWith("mesh.task.")));
});
