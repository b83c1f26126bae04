import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { scrubValue } from "../../policy/pii/index.js";
import { auditBody, idFormats, type AuditEntry } from "./audit-entry.js";

const pii = fc.oneof(
  fc.constantFrom("4111 1111 1111 1111", "5500-0000-0000-0004", "GB82 WEST 1234 5698 7654 32", "+44 20 7946 0958", "123-45-6789"),
  fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/)).map(([u, d]) => `${u}@${d}.com`),
);
const text = fc.oneof(fc.string(), pii, fc.tuple(fc.string(), pii, fc.string()).map((p) => p.join(" ")));
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

/** Entries as the runtime builds them, with any field possibly carrying text it should not. */
const entry: fc.Arbitrary<AuditEntry> = fc.record(
  {
    kind: fc.oneof(fc.constantFrom("decision", "effect", "policy"), text),
    action: fc.oneof(fc.constantFrom("event.emit", "model.invoke", "policy.change"), text),
    effect: fc.oneof(fc.constantFrom("allow", "deny", "done", "rejected"), text),
    region: fc.oneof(fc.constantFrom("eu", "us", "eu-west"), text),
    reasons: fc.array(text, { maxLength: 3 }),
    revision: fc.nat(),
    digest: fc.oneof(hex(64), text),
    subject: text,
    taskId: fc.oneof(hex(32).map((h) => `env_${h}`), text),
    flow: fc.oneof(fc.constantFrom("ticket", "invoice"), text),
    traceId: fc.oneof(hex(32), text),
    detail: fc.dictionary(fc.string(), fc.oneof(text, fc.nat())),
    request: fc.record({ resource: fc.dictionary(fc.string(), text), context: fc.dictionary(fc.string(), text) }),
    roles: fc.array(text, { maxLength: 2 }),
  },
  { requiredKeys: ["kind", "action", "effect", "region"] },
) as fc.Arbitrary<AuditEntry>;

test("every field of an audit body is either what the full scrub gives, or an id in its format left as it was", () => {
  fc.assert(
    fc.property(entry, (e) => {
      const body = auditBody(e);
      const full = scrubValue(e) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(body)) {
        const raw = (e as unknown as Record<string, unknown>)[key];
        const keptId = typeof raw === "string" && idFormats[key]?.test(raw) && value === raw;
        if (!keptId) assert.deepEqual(value, full[key], `field ${key}`);
      }
    }),
    { numRuns: 500 },
  );
});

test("no generated PII value survives in clear anywhere in an audit body", () => {
  fc.assert(
    fc.property(entry, pii, fc.constantFrom("subject", "detail", "reasons", "roles", "taskId", "flow", "region", "traceId", "digest", "action"), (e, secret, field) => {
      const planted = { ...e, [field]: field === "detail" ? { note: secret } : field === "reasons" || field === "roles" ? [secret] : secret } as AuditEntry;
      // Only the planted field is checked: other generated text may hold PII the detectors themselves miss, which is policy/pii's property, not this one.
      assert.ok(!JSON.stringify(auditBody(planted)[field]).includes(JSON.stringify(secret).slice(1, -1)), `${field}: ${secret}`);
    }),
    { numRuns: 500 },
  );
});

test("an envelope id inside a text is kept as it was, and PII beside it is still redacted", () => {
  const envelopeId = hex(32).map((h) => `env_${h}`);
  // Set apart from the text around it (glued to an e-mail with a dot, it reads as part of the address and goes with it).
  const separator = fc.constantFrom(" ", ", ", "; ");
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(fc.string(), pii), separator, envelopeId), { minLength: 1, maxLength: 3 }), pii, (pieces, secret) => {
      const ids = pieces.map(([, , id]) => id);
      const subject = [...pieces.map(([before, sep, id]) => `${before}${sep}${id}`), secret].join(" ");
      const scrubbed = auditBody({ kind: "effect", action: "event.emit", effect: "done", region: "eu", subject }).subject as string;
      for (const id of ids) assert.ok(scrubbed.includes(id), `${id} kept in ${scrubbed}`);
      assert.ok(!scrubbed.includes(secret), `${secret} redacted in ${scrubbed}`);
      // The same text shape with other ids scrubs to the same text with those ids.
      const others = ids.map((id) => `env_${[...id.slice(4)].reverse().join("")}`);
      let i = 0;
      const again = auditBody({ kind: "effect", action: "event.emit", effect: "done", region: "eu", subject: subject.replace(/\benv_[0-9a-f]{32}\b/g, () => others[i++]!) }).subject as string;
      let j = 0;
      assert.equal(again, scrubbed.replace(/\benv_[0-9a-f]{32}\b/g, () => others[j++]!));
    }),
    { numRuns: 500 },
  );
});
