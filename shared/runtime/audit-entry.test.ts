import { test } from "node:test";
import assert from "node:assert/strict";
import { auditBody } from "./audit-entry.js";

test("no PII reaches an audit record in clear: free-text fields are scrubbed", () => {
  const body = auditBody({
    kind: "effect",
    action: "tool.call",
    effect: "done",
    region: "eu",
    detail: { note: "customer jane.doe@example.com card 4111 1111 1111 1111" },
    request: { resource: { to: "bob@example.org" } },
    roles: ["reviewer"],
  });
  const text = JSON.stringify(body);
  assert.ok(!text.includes("jane.doe@example.com") && !text.includes("4111 1111") && !text.includes("bob@example.org"), text);
  assert.match(text, /\[EMAIL\].*\[CREDIT_CARD\]/);
});

test("an id field out of its format is scrubbed like free text", () => {
  const body = auditBody({ kind: "effect", action: "event.emit", effect: "done", region: "eu", taskId: "jane.doe@example.com", flow: "ticket 555-123-4567" });
  assert.doesNotMatch(JSON.stringify(body), /jane\.doe|555-123-4567/);
});

test("ids in their format pass through unscanned, even a hex id whose digits would pass a card checksum", () => {
  const taskId = `env_4111111111111111${"0".repeat(16)}`;
  const digest = "4".repeat(64);
  const body = auditBody({ kind: "decision", action: "task.complete", effect: "allow", region: "eu", taskId, digest, revision: 7 });
  assert.deepEqual(body, { kind: "decision", action: "task.complete", effect: "allow", region: "eu", taskId, digest, revision: 7 });
});

test("a repeated text is redacted in every record that carries it, not only the first", () => {
  const entry = { kind: "effect" as const, action: "tool.call", effect: "done" as const, region: "eu", detail: { note: "call +44 20 7946 0958", flow: "invoice" } };
  const first = JSON.stringify(auditBody(entry));
  assert.equal(JSON.stringify(auditBody(entry)), first);
  assert.doesNotMatch(first, /7946/);
});
