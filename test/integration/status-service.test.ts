import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { publish, subjects } from "../../shared/bus/index.js";
import type { RawBus as Bus } from "../../shared/bus/connection.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startSecureNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

const ask = async (bus: Bus, flow: string, body: string) =>
  JSON.parse(new TextDecoder().decode((await bus.nc.request(subjects.status(flow), new TextEncoder().encode(body), { timeout: 10_000 })).data)) as Record<string, unknown>;

test("a program asks mesh.status.<flow> and the ingest agent, limited to its rendered permissions, answers exactly what mesh status --json prints; a bad question gets an error naming the field", { timeout: 120_000 }, async (t) => {
  const nats = await startSecureNats(t, ["ingest", "invoice"]);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect("a-program");
  const [event] = invoiceEvents(1, { system: "erp-status" });
  await publish(bus, subjects.inbound("invoice"), event, { msgId: "status-service-1" });

  // Ingest writes the admission mark just after it publishes the task, so a fast invoice can be done a moment
  // before the mark is there: wait for the answer to settle on both.
  const done = await waitFor("the service to say the invoice is done, and when it was admitted", async () => {
    const answer = await ask(bus, "invoice", JSON.stringify(event!.source));
    return answer.state === "done" && answer.admitted !== null && answer;
  });
  const { stdout } = await run(process.execPath, [cli, "status", "invoice", "erp-status", "INV-0", "--json"], { env: nats.cliEnv() });
  assert.deepEqual(done, JSON.parse(stdout));

  assert.equal((await ask(bus, "invoice", JSON.stringify({ system: "erp-status", id: "NEVER-SENT" }))).state, "not admitted");
  const refused = await ask(bus, "invoice", JSON.stringify({ system: "erp-status" }));
  assert.equal((refused.error as { code: string }).code, "E_SCHEMA");
  assert.match((refused.error as { message: string }).message, /source\.id/);
  const notJson = await ask(bus, "invoice", "{nope");
  assert.equal((notJson.error as { code: string }).code, "E_SCHEMA");
});
