import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { defaultPolicyPath } from "../../policy/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { expectedInvoiceOutcome, invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";

const limit = 8;
const windowMs = 4000;

test("a global limit of N per window holds across 3 replicas of the acting agent; the rest wait and complete later", { timeout: 240_000 }, async (t) => {
  const nats = await startNats(t);
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const limited = policy.replace(
    /(  - id: invoice-complete\n(?:    .*\n)*?    resources: \{ subjects: \["mesh\.result\.invoice"\] \}\n)/,
    `$1    obligations:\n      - { kind: rate_limit, key: "invoice:complete", limit: ${limit}, windowMs: ${windowMs} }\n`,
  );
  assert.notEqual(limited, policy, "the invoice-complete rule was found");
  const policyFile = join(nats.dir, "limited.yaml");
  writeFileSync(policyFile, limited);
  const env = { POLICY_FILE: policyFile, BACKOFF_BASE_MS: "500", BACKOFF_MAX_MS: "1000" };
  const mesh = await startAgents(t, nats, ["ingest"], env);
  for (let i = 0; i < 3; i++) await mesh.start("invoice", env);
  const bus = await nats.connect();

  const events = invoiceEvents(60, { system: "limited" });
  const completing = events.filter((_, i) => expectedInvoiceOutcome(i) === "completed").length;
  await Promise.all(events.map((e, i) => publish(bus, subjects.inbound("invoice"), e, { msgId: `lim-${i}` })));
  await waitFor("every invoice completed or escalated", async () => (await outcomes(bus, "invoice")).total >= events.length, { timeoutMs: 200_000 });

  // Token takes, as audited by all three replicas: allowed completions per window never exceed the limit.
  const allowed = (await readStream(bus, streamNames.audit))
    .map((m) => JSON.parse(Buffer.from(m.data).toString("utf8")) as { kind: string; action: string; effect: string; agent: string; instance: string; at: string })
    .filter((r) => r.kind === "decision" && r.action === "task.complete" && r.effect === "allow");
  assert.equal(allowed.length, completing);
  assert.equal(new Set(allowed.map((r) => r.instance)).size, 3, "all three replicas completed tasks");
  const perWindow = new Map<number, number>();
  for (const r of allowed) {
    const w = Math.floor(Date.parse(r.at) / windowMs);
    perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
  }
  assert.ok(Math.max(...perWindow.values()) <= limit, `per window: ${[...perWindow.values()].join(", ")}`);
  assert.ok(perWindow.size >= Math.ceil(completing / limit), "the work was spread over as many windows as the limit requires");
  assert.equal((await readStream(bus, streamNames.dlq)).length, 0, "waiting for a token is not a failure");
});
