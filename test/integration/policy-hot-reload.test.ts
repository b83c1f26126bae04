import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultPolicyPath } from "../../policy/index.js";
import { openPolicyStore } from "../../policy/distribution/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { parseExposition } from "../../shared/telemetry/index.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startSecureNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const mesh = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

async function revisionOf(port: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return parseExposition(text).find((s) => s.name === "mesh_policy_revision")?.value;
}

test("a signed policy pushed with mesh policy push takes effect in every running agent; an unsigned one is rejected and audited", { timeout: 180_000 }, async (t) => {
  // Agents follow the signed policy under their own identities, which may only read the policy bucket.
  const nats = await startSecureNats(t, ["ingest", "invoice"]);
  const approver = createSigningKey();
  const agents = await startAgents(t, nats, ["ingest", "invoice"], { MESH_POLICY_APPROVERS: approver.publicKey });
  const ports = ["ingest", "invoice"].map((n) => agents.get(n).httpPort);
  for (const p of ports) assert.equal(await revisionOf(p), 1);
  const bus = await nats.connect();

  const seedFile = join(nats.dir, "approver.seed");
  writeFileSync(seedFile, approver.seed);
  const candidate = join(nats.dir, "policy-2.yaml");
  writeFileSync(candidate, readFileSync(defaultPolicyPath, "utf8").replace(/^revision: 1$/m, "revision: 2").replace(`"mesh.review.invoice.requested", `, ""));
  const env = nats.cliEnv();

  const pushedAt = Date.now();
  const pushed = await run(process.execPath, [mesh, "policy", "push", candidate, "--seed-file", seedFile], { env });
  assert.match(pushed.stdout, /→ 2 stored in KV/);
  await waitFor("every agent on revision 2", async () => (await Promise.all(ports.map(revisionOf))).every((r) => r === 2), { timeoutMs: 10_000, intervalMs: 50 });
  t.diagnostic(`revision 2 in force in every agent ${Date.now() - pushedAt} ms after the push command started`);

  // Revision 2 refuses review requests from invoice: mismatches are now dead-lettered with the policy's reason.
  const events = invoiceEvents(20, { system: "hot" });
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `hot-${i}` })));
  const refused = events.filter((_, i) => expectedInvoiceOutcome(i) === "escalated").length;
  await waitFor("refusals under revision 2", async () => (await readStream(bus, streamNames.dlq)).length >= refused);

  // A document written straight into the bucket, unsigned, is refused; revision 2 stays in force.
  const store = await openPolicyStore(bus);
  await store.putRaw(JSON.stringify({ revision: 3, rules: [] }));
  await waitFor("the rejection audited by both agents", async () => {
    const audit = (await readStream(bus, streamNames.audit)).map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { kind: string; effect: string; agent: string; detail?: { approver?: string } });
    const rejected = new Set(audit.filter((r) => r.kind === "policy" && r.effect === "rejected").map((r) => r.agent));
    const swapped = audit.filter((r) => r.kind === "policy" && r.effect === "done");
    assert.ok(swapped.every((r) => r.detail?.approver === approver.publicKey), "each swap names its approver");
    return rejected.size === 2 && swapped.length === 2;
  });
  for (const p of ports) assert.equal(await revisionOf(p), 2);

  const verified = await run(process.execPath, [mesh, "audit", "verify"], { env });
  assert.match(verified.stdout, /OK: no record altered, missing or out of order/);
});
