import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { OPERATOR } from "../../policy/index.js";
import { publish, readStream, streamNames, subjects } from "../../shared/bus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { invoiceEvents } from "../../cli/demo/sample-invoices.js";
import { startAgents } from "../helpers/mesh.js";
import { startNats } from "../helpers/nats.js";
import { outcomes } from "../helpers/outcomes.js";
import { waitFor } from "../helpers/wait.js";
import { testDataKeysJson } from "../helpers/data-keys.js";

const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

/** Runs the mesh CLI; resolves with its exit code and output whatever the code. */
function mesh(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [cli, ...args], { env }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr })),
  );
}

test("a refused event is shown with its reason and body, replay keeps it rather than re-refuse it, and mesh dlq edit completes the corrected event exactly once, audited as a correction", { timeout: 180_000 }, async (t) => {
  const nats = await startNats(t);
  await startAgents(t, nats, ["ingest", "invoice"]);
  const bus = await nats.connect();
  const env = { ...nats.cliEnv(), MESH_DATA_KEYS: testDataKeysJson };
  const [good] = invoiceEvents(1, { system: "erp" });
  const source = { system: "erp", id: "FIX-1" };
  const bad = { ...good!, source, payload: { ...good!.payload, amount: "twelve" } };
  await publish(bus, subjects.inbound("invoice"), bad, { msgId: "bad-fix-1" });
  const [stored] = await waitFor("the refusal's letter", async () => {
    const l = await readStream(bus, streamNames.dlq);
    return l.length >= 1 && l;
  });
  const seq = String(stored!.seq);

  const shown = await mesh(env, "dlq", "show", seq, "--json");
  assert.equal(shown.code, 0, shown.stderr);
  const letter = JSON.parse(shown.stdout) as { reason: string; source: unknown; original: { text: string } };
  assert.match(letter.reason, /payload\.amount/);
  assert.deepEqual(letter.source, source);
  assert.deepEqual(JSON.parse(letter.original.text), bad, "the sealed body, opened");

  const inboundBefore = (await bus.jsm.streams.info(streamNames.in)).state.last_seq;
  const replayed = await mesh(env, "dlq", "replay", "--seq", seq, "--json");
  assert.equal(replayed.code, 1);
  assert.match(replayed.stderr, /ingest would refuse it again \(payload\.amount[^)]*\); correct it with 'mesh dlq edit/);
  const notReplayed = JSON.parse(replayed.stdout) as { replayed: number[]; failed: { seq: number; error: string }[] };
  assert.deepEqual(notReplayed.replayed, []);
  assert.deepEqual(notReplayed.failed.map((f) => f.seq), [Number(seq)]);
  assert.match(notReplayed.failed[0]!.error, /ingest would refuse it again/);
  assert.equal((await bus.jsm.streams.info(streamNames.in)).state.last_seq, inboundBefore, "nothing was republished");
  assert.equal((await readStream(bus, streamNames.dlq)).length, 1, "the letter stays");

  const stillBad = join(nats.dir, "still-bad.json");
  writeFileSync(stillBad, JSON.stringify({ ...bad, payload: { ...bad.payload, currency: "euro" } }));
  const refused = await mesh(env, "dlq", "edit", seq, "--body", stillBad, "--json");
  assert.equal(refused.code, 1, "a correction ingest would refuse is refused here");
  const refusal = JSON.parse(refused.stdout) as { letter: number; corrected: boolean; refused: string };
  assert.deepEqual([refusal.letter, refusal.corrected], [Number(seq), false]);
  assert.match(refusal.refused, /payload\.currency/);

  const fixed = join(nats.dir, "fixed.json");
  writeFileSync(fixed, JSON.stringify({ ...bad, payload: good!.payload }));
  const edited = await mesh(env, "dlq", "edit", seq, "--body", fixed, "--json");
  assert.equal(edited.code, 0, edited.stderr);
  const correction = JSON.parse(edited.stdout) as { corrected: boolean; republished: { subject: string; stream: string; seq: number } };
  assert.equal(correction.corrected, true);
  assert.deepEqual([correction.republished.subject, correction.republished.stream], [subjects.inbound("invoice"), streamNames.in]);
  const id = envelopeId(source);
  await waitFor("the corrected event's outcome", async () => (await outcomes(bus, "invoice")).counts.get(id));
  assert.equal((await mesh(env, "dlq", "edit", seq, "--body", fixed)).code, 1, "the letter is gone: a second edit finds nothing");
  assert.equal((await readStream(bus, streamNames.dlq)).length, 0);
  const reconciled = await mesh(env, "reconcile", "invoice");
  assert.equal(reconciled.code, 0, reconciled.stdout);
  assert.deepEqual([...(await outcomes(bus, "invoice")).counts], [[id, 1]], "exactly one outcome, for the corrected event");

  const audit = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOf(OPERATOR) })).map((m) => Buffer.from(m.data).toString("utf8"));
  const corrections = audit.filter((r) => r.includes('"correctionOf"') && r.includes(`"letter":${seq}`));
  assert.equal(corrections.length, 2, "the republish and the letter's removal, each naming the original letter");
  assert.ok(audit.some((r) => r.includes('"data.read"') && r.includes(`"letter":${seq}`)), "opening the sealed body was audited");
});
