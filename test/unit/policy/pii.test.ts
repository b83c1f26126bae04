import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { Writable } from "node:stream";
import { detectPii, piiLogOptions, detokenize, ibanValid, luhnValid, redactText, scrubValue, spanishIdValid, taskTokenKey, tokenize } from "../../../policy/pii/index.js";
import { createCorpus } from "./pii-corpus.js";

test("a seeded corpus of cards, IBANs, emails and phones is redacted with recall >= 0.99 per entity", () => {
  const corpus = createCorpus(2000);
  const seen: Record<string, { total: number; caught: number }> = {};
  const missed: string[] = [];
  for (const { text, values } of corpus) {
    const redacted = redactText(text).text;
    for (const { entity, value } of values) {
      const s = (seen[entity] ??= { total: 0, caught: 0 });
      s.total++;
      if (!redacted.includes(value)) s.caught++;
      else missed.push(`${entity}: ${value}`);
    }
  }
  for (const [entity, { total, caught }] of Object.entries(seen)) {
    assert.ok(total > 300, `${entity} is well represented`);
    assert.ok(caught / total >= 0.99, `${entity} recall ${(caught / total).toFixed(4)}; missed e.g. ${missed.filter((m) => m.startsWith(entity)).slice(0, 3).join(" | ")}`);
  }
});

test("ordinary banking tickets are rarely flagged (precision guard on BANKING77 text)", () => {
  const csv = readFileSync(new URL("../../../shared/datasets/banking77/train.csv", import.meta.url), "utf8");
  const texts = csv.split("\n").slice(1, 3001).map((l) => l.slice(0, l.lastIndexOf(",")));
  const flagged = texts.filter((t) => detectPii(t).length > 0);
  assert.ok(flagged.length / texts.length <= 0.01, `${flagged.length} of ${texts.length} flagged, e.g. ${flagged.slice(0, 3).join(" | ")}`);
});

test("checksums decide: a Luhn-invalid card, a mod-97-invalid IBAN and a wrong DNI letter are not PII", () => {
  assert.equal(luhnValid("4111111111111111"), true);
  assert.equal(luhnValid("4111111111111112"), false);
  assert.equal(ibanValid("DE89370400440532013000"), true);
  assert.equal(ibanValid("DE89370400440532013001"), false);
  assert.equal(spanishIdValid("12345678Z"), true);
  assert.equal(spanishIdValid("12345678A"), false);
  assert.equal(redactText("card 4111 1111 1111 1112 ok").text, "card 4111 1111 1111 1112 ok");
  assert.equal(redactText("iban DE89370400440532013001").text, "iban DE89370400440532013001");
});

test("each entity is named in the redaction, and a following word is not swallowed into an IBAN", () => {
  const { text, findings } = redactText(
    "IBAN DE89 3704 0044 0532 0130 00 THANKS, card 4111-1111-1111-1111, ssn 123-45-6789, nino AB 12 34 56 C, " +
      "dni 12345678Z, mail a.b@example.com, call +44 20 7946 0958, from 192.168.1.20 / 2001:db8::1",
  );
  assert.equal(
    text,
    "IBAN [IBAN] THANKS, card [CREDIT_CARD], ssn [US_SSN], nino [UK_NINO], dni [ES_NIF], mail [EMAIL], call [PHONE], from [IP_ADDRESS] / [IP_ADDRESS]",
  );
  assert.ok(findings.every((f) => !("value" in f)), "findings never carry the value");
});

test("digits inside identifiers, digests and hashes are not PII", () => {
  // Found by the residency flow: envelope ids and sha256 digests were being mangled in audit records.
  const ids = [
    "env_3ecde80337682456552b5f461dab0623",
    "env_9daccd462adf45fba5a8733122172529",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
  ];
  for (const id of ids) assert.equal(redactText(id).text, id);
  // Hex ids that begin like an IBAN (two letters, two digits) must not pass mod-97 by chance (1 in 97 would).
  let flagged = 0;
  for (let i = 0; i < 5000; i++) {
    const hex = createHash("sha256").update(String(i)).digest("hex");
    const id = `${"abcdef"[i % 6]}${"abcdef"[(i >> 3) % 6]}${String(i % 100).padStart(2, "0")}${hex.slice(0, 28)}`;
    if (detectPii(`env_${id}`).length || detectPii(`id ${id} ok`).length) flagged++;
  }
  assert.equal(flagged, 0);
});

test("amounts, dates, times and versions are not PII", () => {
  const text = "I paid £100.50 on 12/03/2024 at 10:30:00 with app 1.2.3, reference 123456";
  assert.equal(redactText(text).text, text);
});

test("scrubValue redacts every string deeply, censors secret keys and survives cycles", () => {
  const input: Record<string, unknown> = {
    task: { text: "call me on +44 20 7946 0958", tags: ["a.b@example.com", 3] },
    apiKey: "sk-123",
    when: new Date(0),
  };
  input.self = input;
  const out = scrubValue(input) as Record<string, any>;
  assert.equal(out.task.text, "call me on [PHONE]");
  assert.deepEqual(out.task.tags, ["[EMAIL]", 3]);
  assert.equal(out.apiKey, "[redacted]");
  assert.equal(out.when, "1970-01-01T00:00:00.000Z");
  assert.equal(out.self, "[circular]");
  assert.equal((input.task as any).text, "call me on +44 20 7946 0958", "the input is not mutated");
});

test("per-task tokens round-trip with the task's key, are stable within a task and opaque across tasks", () => {
  const secret = "process-secret-of-at-least-16-bytes";
  const text = "card 4111 1111 1111 1111 and again 4111 1111 1111 1111, mail a.b@example.com";
  const k1 = taskTokenKey(secret, "task-1");
  const k2 = taskTokenKey(secret, "task-2");
  const t1 = tokenize(text, k1);
  assert.ok(!t1.text.includes("4111") && !t1.text.includes("a.b@example.com"));
  const tokens = t1.text.match(/\[CREDIT_CARD:tok_[^\]]+\]/g)!;
  assert.equal(tokens.length, 2);
  assert.equal(tokens[0], tokens[1], "same value, same token within a task");
  assert.notEqual(tokenize(text, k2).text, t1.text, "another task's tokens differ");
  assert.equal(detokenize(t1.text, k1), text);
  assert.equal(detokenize(t1.text, k2), t1.text, "another task's key restores nothing");
  const tampered = t1.text.replace(/tok_(.)/, (_, c: string) => `tok_${c === "A" ? "B" : "A"}`);
  assert.ok(detokenize(tampered, k1).includes("tok_"), "a tampered token is not restored");
});

test("a pino logger with piiLogOptions writes no PII, in fields or in the message", () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = pino({ ...piiLogOptions, base: null }, sink);
  log.info({ ticket: { text: "card 4111 1111 1111 1111" }, to: ["a.b@example.com"] }, "reply sent to %s", "+44 20 7946 0958");
  log.warn("IBAN DE89 3704 0044 0532 0130 00 rejected");
  const out = lines.join("");
  for (const value of ["4111 1111 1111 1111", "a.b@example.com", "+44 20 7946 0958", "DE89 3704"]) assert.ok(!out.includes(value), `${value} leaked: ${out}`);
  assert.match(out, /"text":"card \[CREDIT_CARD\]"/);
  assert.match(out, /"msg":"reply sent to \[PHONE\]"/);
  assert.match(out, /"msg":"IBAN \[IBAN\] rejected"/);
});
