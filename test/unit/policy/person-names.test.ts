import { test } from "node:test";
import assert from "node:assert/strict";
import { detectPii, redactText } from "../../../policy/pii/index.js";
import { createNameCorpus, nameFreeSentences } from "./person-name-corpus.js";

test("person names in a seeded ticket corpus are redacted with recall >= 0.95, half of them outside the lexicon", (t) => {
  const corpus = createNameCorpus(1000);
  const missed = corpus.filter(({ text, name }) => name.split(" ").some((part) => part.length > 2 && redactText(text).text.includes(part)));
  const recall = 1 - missed.length / corpus.length;
  const flagged = nameFreeSentences.filter((s) => detectPii(s).some((f) => f.entity === "PERSON"));
  const precision = 1 - flagged.length / nameFreeSentences.length;
  t.diagnostic(`name recall ${recall.toFixed(4)} (${missed.length} of ${corpus.length} missed); name-free sentences clean: ${precision.toFixed(2)} (flagged: ${flagged.join(" | ") || "none"})`);
  assert.ok(recall >= 0.95, `recall ${recall}; missed e.g. ${missed.slice(0, 5).map((m) => m.text).join(" | ")}`);
  assert.ok(precision >= 0.8, `flagged: ${flagged.join(" | ")}`);
});

test("a title, an introduction or a sign-off makes any capitalised name a person; a known name needs none", () => {
  assert.equal(redactText("Please ask Dr. Okonkwo about it").text, "Please ask Dr. [PERSON] about it");
  assert.equal(redactText("my name is Wojciech Kowalczyk").text, "my name is [PERSON]");
  assert.equal(redactText("Why the fee? Regards, Anneliese").text, "Why the fee? Regards, [PERSON]");
  assert.equal(redactText("I talked to Jennifer Garcia today").text, "I talked to [PERSON] today");
});

test("names that are everyday words stay unless a surname stands beside them", () => {
  assert.equal(redactText("Will my card arrive in May?").text, "Will my card arrive in May?");
  assert.equal(redactText("Will Thompson called about it").text, "[PERSON] called about it");
});

test("a name inside an email address is the email's, and identifiers with capitals are not names", () => {
  assert.deepEqual(detectPii("write to John.Smith@example.com").map((f) => f.entity), ["EMAIL"]);
  assert.deepEqual(detectPii("PolicyDeniedError at TaskEnvelope"), []);
});
