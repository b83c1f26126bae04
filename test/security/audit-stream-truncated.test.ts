import { test } from "node:test";
import assert from "node:assert/strict";
import { streamNames } from "../../shared/bus/index.js";
import { auditedMesh, genuineInvoiceTrail, mesh } from "./audit-fixtures.js";
import { rawBus } from "../../shared/bus/raw-bus.js";

test("an audit stream the operator reconfigured to max_msgs=1 (which truncates it) fails verify with stream-config and truncated", async (t) => {
  const m = await auditedMesh(t);
  await genuineInvoiceTrail(m, "invoice-1");
  await genuineInvoiceTrail(m, "invoice-2");
  const before = await mesh(m.nats, ["audit", "verify"]);
  assert.equal(before.code, 0, before.stdout + before.stderr);

  const info = await rawBus(m.bus).jsm.streams.info(streamNames.audit);
  await rawBus(m.bus).jsm.streams.update(streamNames.audit, { ...info.config, max_msgs: 1 });

  const after = await mesh(m.nats, ["audit", "verify", "--json"]);
  assert.equal(after.code, 1, after.stdout + after.stderr);
  const { problems } = JSON.parse(after.stdout) as { problems: { kind: string; message: string; instance?: string }[] };
  const kinds = new Set(problems.map((p) => p.kind));
  assert.ok(kinds.has("stream-config") && kinds.has("truncated") && kinds.has("missing"), JSON.stringify(problems));
  assert.match(problems.find((p) => p.kind === "stream-config")!.message, /MESH_AUDIT max_msgs is 1, declared no limit/);
  assert.match(problems.find((p) => p.kind === "truncated")!.message, /starts at stream seq 8: 7 message\(s\) stored before it are gone/);
  assert.match(problems.find((p) => p.kind === "missing")!.message, /records seq 1-3 of invoice-2 are missing/);

  const text = await mesh(m.nats, ["audit", "verify"]);
  assert.match(text.stdout, /FAILED: 3 problem\(s\): 1 stream-config, 1 truncated, 1 missing/);
});

test("verify --since the stream's first kept seq accepts the explicit start but still names the limit that dropped the rest", async (t) => {
  const m = await auditedMesh(t);
  await genuineInvoiceTrail(m);
  const info = await rawBus(m.bus).jsm.streams.info(streamNames.audit);
  await rawBus(m.bus).jsm.streams.update(streamNames.audit, { ...info.config, max_msgs: 2 });
  const since = (await rawBus(m.bus).jsm.streams.info(streamNames.audit)).state.first_seq;
  const r = await mesh(m.nats, ["audit", "verify", "--since", String(since), "--json"]);
  const { problems } = JSON.parse(r.stdout) as { problems: { kind: string }[] };
  assert.deepEqual(problems.map((p) => p.kind), ["stream-config"]);
});
