import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { startNats } from "../../helpers/nats.js";
import { waitFor } from "../../helpers/wait.js";
import { defaultPolicyPath, loadPolicyFile, parsePolicyDocument, type CompiledPolicy } from "../../../policy/index.js";
import { openPolicyStore, pushPolicy, watchPolicy, type PolicyChange, type PolicyRejection } from "../../../policy/distribution/index.js";
import { createSigningKey, signPolicyDocument } from "../../../policy/signing/index.js";

const shipped = readFileSync(defaultPolicyPath, "utf8");
const approver = createSigningKey();

/** The shipped document at another revision, with `rogue` granted dead letters so the change is visible. */
function revision(n: number): string {
  const doc = parsePolicyDocument(shipped);
  doc.revision = n;
  doc.rules.push({ id: "rogue-dlq", effect: "permit", mode: "enforce", actions: ["event.emit"], principals: ["rogue"], resources: { subjects: ["mesh.dlq.*"] } });
  return stringify(doc);
}

const rogueMayDlq = (p: CompiledPolicy) => p.decide({ action: "event.emit", principal: { agent: "rogue" }, resource: { subject: "mesh.dlq.ticket" } }).effect;

test("a signed policy pushed to KV takes effect in every running agent; unsigned, tampered or invalid ones are rejected and the last good revision stays", async (t) => {
  const nats = await startNats(t);
  const swaps: PolicyChange[][] = [[], [], []];
  const rejections: PolicyRejection[][] = [[], [], []];
  const agents = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const watch = await watchPolicy(await nats.connect(`agent-${i}`), {
        trustedApprovers: [approver.publicKey],
        initial: loadPolicyFile(defaultPolicyPath),
        onSwap: (_p, change) => swaps[i]!.push(change),
        onReject: (r) => rejections[i]!.push(r),
      });
      t.after(() => watch.stop());
      return watch;
    }),
  );
  assert.ok(agents.every((a) => a.current().revision === 1 && rogueMayDlq(a.current()) === "deny"));

  const operator = await nats.connect("operator");
  const started = Date.now();
  const pushed = await pushPolicy(operator, { text: revision(2), source: "rev2.yaml", approverSeed: approver.seed });
  assert.equal(pushed.revision, 2);
  assert.equal(pushed.approver, approver.publicKey);
  await waitFor("every agent on revision 2", async () => agents.every((a) => a.current().revision === 2), { timeoutMs: 10_000, intervalMs: 20 });
  const tookMs = Date.now() - started;
  t.diagnostic(`revision 2 in force in all 3 agents after ${tookMs} ms`);
  assert.ok(agents.every((a) => rogueMayDlq(a.current()) === "allow"), "the new grant is in force");
  assert.deepEqual(swaps.map((s) => s.map((c) => [c.previousRevision, c.revision, c.approver])), [0, 1, 2].map(() => [[1, 2, approver.publicKey]]));

  // Bad documents go straight into KV, the way an attacker or a broken tool would put them.
  const store = await openPolicyStore(operator);
  const signed3 = signPolicyDocument(parsePolicyDocument(revision(3)), approver.seed);
  const { signature: _s, ...unsigned } = signed3;
  const tampered = structuredClone(signed3);
  tampered.document.rules.push({ id: "rogue-all", effect: "permit", mode: "enforce", actions: "*", principals: ["rogue"] });
  const stranger = signPolicyDocument(parsePolicyDocument(revision(3)), createSigningKey().seed);
  const stale = signPolicyDocument(parsePolicyDocument(revision(1)), approver.seed);
  for (const bad of [unsigned, tampered, stranger, stale, "{not json"]) await store.putRaw(typeof bad === "string" ? bad : JSON.stringify(bad));
  await waitFor("all five rejected by every agent", async () => rejections.every((r) => r.length === 5), { timeoutMs: 10_000, intervalMs: 20 });
  for (const r of rejections) {
    assert.deepEqual(r.map((x) => x.kept), [2, 2, 2, 2, 2]);
    assert.match(r[0]!.error.message, /unsigned/);
    assert.match(r[1]!.error.message, /tampered|does not match/);
    assert.match(r[2]!.error.message, /not a trusted approver/);
    assert.match(r[3]!.error.message, /not newer/);
    assert.match(r[4]!.error.message, /not JSON/);
  }
  assert.ok(agents.every((a) => a.current().revision === 2));

  // A valid push after the garbage still lands; a push that is not newer is refused by the pusher itself.
  await pushPolicy(operator, { text: revision(3), approverSeed: approver.seed });
  await waitFor("every agent on revision 3", async () => agents.every((a) => a.current().revision === 3), { timeoutMs: 10_000, intervalMs: 20 });
  await assert.rejects(pushPolicy(operator, { text: revision(3), approverSeed: approver.seed }), /not newer than the stored revision 3/);
  assert.equal((await store.history()).length, 7, "KV keeps every pushed value");
});

test("a new agent starting after a push picks up the stored revision at once", async (t) => {
  const nats = await startNats(t);
  await pushPolicy(await nats.connect("operator"), { text: revision(5), approverSeed: approver.seed });
  const watch = await watchPolicy(await nats.connect("late"), { trustedApprovers: [approver.publicKey], initial: loadPolicyFile(defaultPolicyPath) });
  t.after(() => watch.stop());
  await waitFor("revision 5", async () => watch.current().revision === 5, { timeoutMs: 10_000, intervalMs: 20 });
});
