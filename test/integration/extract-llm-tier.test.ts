import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { openDocumentStore, publish, readStream, streamNames, subjects, type Bus } from "../../shared/bus/index.js";
import { renderDocument, truthCorpus, type TruthDocument } from "../../shared/documents/corpus/index.js";
import { envelopeId } from "../../shared/envelope/index.js";
import { defaultPolicyPath } from "../../policy/load.js";
import { freePort } from "../../cli/local-nats.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { startTriageMesh } from "../helpers/triage-mesh.js";
import { waitFor } from "../helpers/wait.js";

const decoder = new TextDecoder();
const decode = (d: Uint8Array) => JSON.parse(decoder.decode(d)) as Record<string, unknown>;

/** The held-out "leaders" e-mail layout prints its PO under a label the heuristics do not know: only the PO stays unsure. */
const heldOutLeaders = () => truthCorpus(1, 200).find((d) => d.vendor.layout.id === "text-leaders" && d.consistent)!;
/** The held-out minimal PDF layout: the heuristics read its table but none of its labelled fields or figures. */
const heldOutMinimal = () => truthCorpus(1, 200).find((d) => d.vendor.layout.id === "pdf-minimal" && d.consistent)!;

/** Stores the rendered document and publishes the event naming it, as the mailroom does. */
async function submit(bus: Bus, truth: TruthDocument): Promise<string> {
  const doc = await renderDocument(truth);
  const id = `doc-${truth.fields.invoiceNumber}`;
  const stored = await (await openDocumentStore(bus)).put(id, doc.bytes);
  const source = { system: "mailroom", id };
  await publish(bus, subjects.inbound("document"), { tenant: "acme", region: "eu", source, payload: { kind: "invoice", channel: "email", document: { ...stored, contentType: doc.contentType } } }, { msgId: id });
  return envelopeId(source);
}

/** ingest and extract as processes on a secure broker, with the stand-in as extract's model endpoint. */
async function startExtractMesh(t: TestContext, env: Record<string, string> = {}, agents = ["ingest", "extract"]) {
  return startTriageMesh(t, { agents, env });
}

const fieldRequests = (standIn: { requests(): readonly { body: unknown }[] }) =>
  standIn.requests().filter((r) => (r.body as { response_format?: { json_schema?: { name?: string } } }).response_format?.json_schema?.name === "document_fields");

async function outcomeOf(bus: Bus, id: string): Promise<{ result?: Record<string, unknown>; review?: Record<string, unknown> }> {
  return waitFor(`an outcome for ${id}`, async () => {
    const result = (await readStream(bus, streamNames.result, { filterSubject: subjects.result("document") })).map((m) => decode(m.data)).find((r) => r.envelopeId === id);
    const review = (await readStream(bus, streamNames.review, { filterSubject: subjects.reviewRequested("document") })).map((m) => decode(m.data)).find((r) => r.envelopeId === id);
    return (result || review) && { ...(result ? { result: result.result as Record<string, unknown> } : {}), ...(review ? { review } : {}) };
  }, { timeoutMs: 25_000 });
}

test("a held-out-layout document whose PO number the heuristics miss is completed by the LLM tier, asked for that field alone under the extract-models grant (audited)", { timeout: 60_000 }, async (t) => {
  const truth = heldOutLeaders();
  const { standIn, bus } = await startExtractMesh(t);
  standIn.configure({ fields: { poNumber: truth.fields.poNumber } });
  const id = await submit(bus, truth);

  const { result, review } = await outcomeOf(bus, id);
  assert.equal(review, undefined, JSON.stringify(review));
  const fields = result!.fields as Record<string, unknown>;
  assert.equal(result!.straightThrough, true);
  assert.equal(fields.poNumber, truth.fields.poNumber);
  assert.equal((result!.tier as Record<string, string>).poNumber, "llm");
  assert.deepEqual((result!.model as { answered: string[] }).answered, ["poNumber"]);
  const asked = fieldRequests(standIn);
  assert.equal(asked.length, 1, "one structured call");
  const schema = (asked[0]!.body as { response_format: { json_schema: { schema: { properties: Record<string, unknown> } } } }).response_format.json_schema.schema;
  assert.deepEqual(Object.keys(schema.properties), ["poNumber"], "the schema names exactly the unsure field");
  const audit = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOfRegion("eu") })).map((m) => decode(m.data));
  const allowed = audit.filter((a) => a.kind === "decision" && a.action === "model.invoke" && a.effect !== "deny" && a.taskId === id);
  assert.ok(allowed.some((a) => (a.reasons as string[] | undefined)?.includes("extract-models")), JSON.stringify(allowed));
  const invoices = await waitFor("the invoice handed on", async () => {
    const msgs = await readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") });
    return msgs.length >= 1 && msgs;
  });
  assert.equal(invoices.length, 1);
});

test("figures the LLM reads that disagree go to a human, never to the invoice flow; the reviewer's correction completes it with the LLM's other fields from the journal, the model not asked again", { timeout: 90_000 }, async (t) => {
  const truth = heldOutMinimal();
  const port = await freePort();
  const { standIn, bus, mesh } = await startExtractMesh(t, { REVIEW_PORT: String(port), REVIEW_TOKENS: reviewTokens }, ["ingest", "extract", "review"]);
  // Every field as printed, but a total that is not net + tax.
  standIn.configure({ fields: { ...truth.fields, total: truth.fields.total + 10 } });
  const id = await submit(bus, truth);

  const { result, review } = await outcomeOf(bus, id);
  assert.equal(result, undefined, JSON.stringify(result));
  assert.equal(review!.code, "extraction_figures_disagree");
  assert.match(String(review!.reason), /netPlusTaxIsTotal failed/);
  const snapshot = review!.snapshot as { tier: Record<string, string>; model: { answered: string[] } };
  assert.equal(snapshot.tier.total, "llm");
  assert.ok(snapshot.model.answered.includes("total"));
  assert.equal(fieldRequests(standIn).length, 1);
  assert.equal((await readStream(bus, streamNames.task, { filterSubject: subjects.task("invoice", "ingested") })).length, 0);

  const alice = new Client(`http://127.0.0.1:${port}`);
  await alice.signIn(tokens.alice);
  await waitFor("the document in the review queue", async () => ((await alice.request("GET", "/api/queue")).json.items as { id: string }[]).some((i) => i.id === id), { timeoutMs: 20_000 });
  assert.equal((await alice.request("POST", `/api/items/${id}/claim`)).status, 200);
  const decided = await alice.request("POST", `/api/items/${id}/decision`, { decision: "correct", corrections: { total: truth.fields.total } });
  assert.equal(decided.status, 200, decided.text);
  const done = await waitFor("the corrected document completed", async () =>
    (await readStream(bus, streamNames.result, { filterSubject: subjects.result("document") })).map((m) => decode(m.data)).find((r) => r.envelopeId === id), { timeoutMs: 20_000 });
  const settled = done.result as { straightThrough: boolean; fields: Record<string, unknown>; corrected: string[] };
  assert.equal(settled.straightThrough, false);
  assert.deepEqual(settled.corrected, ["total"]);
  assert.equal(settled.fields.poNumber, truth.fields.poNumber, "the LLM's PO stands");
  assert.equal(fieldRequests(standIn).length, 1, "the resume reused the journaled answer");
  assert.match(mesh.logs("extract"), /reusing the journaled answer of a model call this task already made/);
});

test("a policy without extract's model grant refuses the call: the document goes to a human, the refusal audited, nothing leaves", { timeout: 60_000 }, async (t) => {
  const truth = heldOutLeaders();
  const policy = readFileSync(defaultPolicyPath, "utf8");
  const withoutGrant = policy.replace(/\n  - id: extract-models\n[\s\S]*?when: \{ residency: allowed \}\n/, "\n");
  assert.notEqual(withoutGrant, policy, "the extract-models rule was found and removed");
  const dir = mkdtempSync(join(tmpdir(), "extract-no-models-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const policyFile = join(dir, "policy.yaml");
  writeFileSync(policyFile, withoutGrant);
  const { standIn, bus } = await startExtractMesh(t, { POLICY_FILE: policyFile });
  standIn.configure({ fields: { poNumber: truth.fields.poNumber } });
  const id = await submit(bus, truth);

  const { result, review } = await outcomeOf(bus, id);
  assert.equal(result, undefined, JSON.stringify(result));
  assert.equal(review!.code, "extraction_unsure");
  assert.match(String(review!.reason), /the large model did not help: no endpoint allowed/);
  assert.equal(standIn.requestCount(), 0, "nothing left the mesh");
  const audit = (await readStream(bus, streamNames.audit, { filterSubject: subjects.auditOfRegion("eu") })).map((m) => decode(m.data));
  const refusals = audit.filter((a) => a.kind === "decision" && a.action === "model.invoke" && a.effect === "deny" && a.taskId === id);
  assert.ok(refusals.length >= 1, "the refusal is in the audit trail");
});
