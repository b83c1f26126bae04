import assert from "node:assert/strict";
import { test } from "node:test";
import { openStateStore } from "../../../shared/bus/index.js";
import { journalBucketOf } from "../../../shared/runtime/consumer-specs.js";
import { listAgents, loadAgentDefinition } from "../../../shared/runtime/index.js";
import { compilePolicy, defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";
import { declareAgentTopology } from "../../../shared/runtime/mesh-topology.js";
import { startNats } from "../../helpers/nats.js";
import { waitFor } from "../../helpers/wait.js";

test("the model-call journal of an agent that calls models is a bucket whose entries expire after the topology's journal TTL", { timeout: 30_000 }, async (t) => {
  const nats = await startNats(t);
  const operator = await nats.connect("operator");
  const triage = await loadAgentDefinition("triage");
  const bucket = journalBucketOf(triage)!;
  assert.equal(bucket, "mesh_journal_triage");
  await declareAgentTopology(operator, triage, undefined, { replicas: 1, journalTtlMs: 1_500 });
  const info = await operator.jsm.streams.info(`KV_${bucket}`);
  assert.equal(info.config.max_age, 1_500 * 1_000_000);

  // What the agent opens later leaves the operator's TTL alone.
  const journal = await openStateStore(await nats.connect("triage"), bucket, { history: 1 });
  assert.equal((await operator.jsm.streams.info(`KV_${bucket}`)).config.max_age, 1_500 * 1_000_000);
  await journal.put("journal.env_1.0", { call: "classify:x", result: { label: "card_arrival" } });
  assert.ok(await journal.get("journal.env_1.0"));
  await waitFor("the journaled answer expired", async () => (await journal.get("journal.env_1.0")) === undefined, { timeoutMs: 15_000 });
});

test("an agent that calls no model has no journal", async () => {
  assert.equal(journalBucketOf(await loadAgentDefinition("invoice")), undefined);
});

test("every agent that calls models may write its own journal under the shipped policy, and no other agent's", async () => {
  const policy = compilePolicy(loadPolicyFile(defaultPolicyPath).document);
  const writes = (agent: string, bucket: string) =>
    policy.decide({ action: "data.write", principal: { agent }, resource: { subject: `$KV.${bucket}.journal.env_0.0` }, context: {} }).effect;
  const callers = [];
  for (const name of listAgents()) {
    const bucket = journalBucketOf(await loadAgentDefinition(name));
    if (!bucket) continue;
    callers.push(name);
    // Without the grant every journaled call is refused and its task dead-lettered (the social connector's were).
    assert.equal(writes(name, bucket), "allow", `${name} may write ${bucket}`);
    assert.equal(writes("invoice", bucket), "deny", `invoice may not write ${bucket}`);
  }
  assert.ok(callers.includes("triage") && callers.includes("social"), `model callers found: ${callers.join(", ")}`);
});
