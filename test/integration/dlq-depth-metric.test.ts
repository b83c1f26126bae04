import { test } from "node:test";
import { publish, subjects, streamNames } from "../../shared/bus/index.js";
import { parseExposition } from "../../shared/telemetry/index.js";
import { startSecureNats } from "../helpers/nats.js";
import { startAgents } from "../helpers/mesh.js";
import { httpGet } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

test("ingest reports the dead letters held per flow under its own broker identity, and a flow whose letters are removed falls to 0", { timeout: 120_000 }, async (t) => {
  const nats = await startSecureNats(t, ["ingest"]);
  const mesh = await startAgents(t, nats, ["ingest"]);
  const port = mesh.get("ingest").httpPort;
  const depth = async (flow: string) =>
    parseExposition((await httpGet(port, "/metrics")).text).find((s) => s.name === "mesh_dlq_depth" && s.labels.flow === flow)?.value;

  const operator = await nats.connect("operator");
  const notJson = (i: number) => new TextEncoder().encode(`{"tenant": "acme", oops ${i}`);
  for (let i = 0; i < 2; i++) await publish(operator, subjects.inbound("invoice"), notJson(i), { msgId: `bad-invoice-${i}` });
  await publish(operator, subjects.inbound("ticket"), notJson(9), { msgId: "bad-ticket-9" });
  await waitFor("depth 2 for invoice and 1 for ticket", async () => (await depth("invoice")) === 2 && (await depth("ticket")) === 1);

  // What `mesh dlq replay` does to each letter it republishes: the letter leaves the stream.
  await operator.jsm.streams.purge(streamNames.dlq, { filter: subjects.dlq("invoice") });
  await waitFor("invoice back to 0, ticket still 1", async () => (await depth("invoice")) === 0 && (await depth("ticket")) === 1);
});
