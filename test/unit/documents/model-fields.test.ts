import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { renderDocument, truthCorpus, type TruthDocument } from "../../../shared/documents/corpus/index.js";
import { extractInvoice, modelFieldsRequest, parseModelFields, withModelFields } from "../../../shared/documents/index.js";

const truths = truthCorpus(1, 200, 0.2);
const first = (layout: string, consistent = true) => truths.find((d) => d.vendor.layout.id === layout && d.consistent === consistent)!;
const read = async (truth: TruthDocument) => extractInvoice(await renderDocument(truth));

test("the request names exactly the unsure fields, each nullable, and carries the document's text", async () => {
  const truth = first("pdf-minimal");
  const x = await read(truth);
  const req = modelFieldsRequest(x)!;
  assert.deepEqual(Object.keys(req.schema.shape), [...x.unsure]);
  assert.deepEqual(req.fields, x.unsure);
  assert.ok(req.text.includes(truth.fields.invoiceNumber));
  assert.ok(req.schema.safeParse(Object.fromEntries(x.unsure.map((f) => [f, null]))).success, "null is how the model says a field is not printed");
});

test("nothing is asked of a document already complete, or one whose own figures disagree (a human settles those)", async () => {
  assert.equal(modelFieldsRequest(await read(first("pdf-classic"))), undefined);
  const disagreeing = await read(first("pdf-classic", false));
  assert.ok(disagreeing.checks.some((c) => c.arithmetic && !c.ok));
  assert.equal(modelFieldsRequest(disagreeing), undefined);
});

test("the model's true answer completes the document with its fields marked llm; a total that is not net + tax never completes", async () => {
  const truth = first("pdf-minimal");
  const x = await read(truth);
  const req = modelFieldsRequest(x)!;
  const truthful = parseModelFields(req, Object.fromEntries(req.fields.map((f) => [f, truth.fields[f]])));
  assert.ok(truthful.ok);
  const settled = withModelFields(x, truthful.fields);
  assert.equal(settled.decision, "complete", settled.reasons.join("; "));
  assert.equal(settled.tier.poNumber, "llm");

  const wrong = parseModelFields(req, Object.fromEntries(req.fields.map((f) => [f, f === "total" ? truth.fields.total + 10 : truth.fields[f]])));
  assert.ok(wrong.ok);
  const disagreeing = withModelFields(x, wrong.fields);
  assert.equal(disagreeing.decision, "review");
  assert.ok(disagreeing.reasons.some((r) => r.startsWith("netPlusTaxIsTotal failed")), disagreeing.reasons.join("; "));
});

test("a text answer the document does not print (an invented PO number) stays unsure, for a human", async () => {
  const truth = first("text-leaders");
  const x = await read(truth);
  const req = modelFieldsRequest(x)!;
  assert.ok(req.fields.includes("poNumber"), `asked: ${req.fields.join(", ")}`);
  const invented = parseModelFields(req, { ...Object.fromEntries(req.fields.map((f) => [f, truth.fields[f]])), poNumber: "PO-99999999" });
  assert.ok(invented.ok);
  const judged = withModelFields(x, invented.fields);
  assert.equal(judged.decision, "review");
  assert.ok(judged.unsure.includes("poNumber"), judged.reasons.join("; "));
  const printed = parseModelFields(req, Object.fromEntries(req.fields.map((f) => [f, truth.fields[f]])));
  assert.ok(printed.ok);
  assert.equal(withModelFields(x, printed.fields).decision, "complete", "the printed one completes");
});

test("a field the model leaves null stays unsure", async () => {
  const truth = first("text-leaders");
  const x = await read(truth);
  const req = modelFieldsRequest(x)!;
  const answer = parseModelFields(req, { poNumber: null });
  assert.ok(answer.ok);
  assert.deepEqual(withModelFields(x, answer.fields).unsure, ["poNumber"]);
});

test("any answer is parsed at the boundary: it is taken only as the request's schema allows, and otherwise refused naming the field", async () => {
  const x = await read(first("pdf-minimal"));
  const req = modelFieldsRequest(x)!;
  fc.assert(
    fc.property(fc.anything(), (answer) => {
      const parsed = parseModelFields(req, answer);
      if (parsed.ok) assert.ok(req.schema.safeParse(answer).success);
      else assert.match(parsed.problem, /^model answer: /);
    }),
  );
  const bad = parseModelFields(req, { ...Object.fromEntries(req.fields.map((f) => [f, null])), issueDate: "3rd of May" });
  assert.ok(!bad.ok && /issueDate/.test(bad.problem), JSON.stringify(bad));
});
