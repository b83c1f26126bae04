import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultPolicyPath, loadPolicyFile } from "../../../policy/index.js";

const policy = loadPolicyFile(defaultPolicyPath);
const task = (attributes: Record<string, boolean>) => ({ id: "env_0", flow: "social", region: "eu", tenant: "brand", classification: "internal", attributes });
const person = { mentioned: true, authorBot: false, authorLocked: false, fromSelf: false };
const post = (attributes: Record<string, boolean>, region = "eu") =>
  policy.decide({ action: "tool.call", principal: { agent: "social" }, resource: { endpoint: "social-post", url: "http://x/api/v1/statuses", region }, context: { task: task(attributes) } });

test("a reply to a mentioning person is allowed and takes a token of the shared posting budget", () => {
  const d = post(person);
  assert.equal(d.effect, "allow");
  assert.ok(d.obligations.some((o) => o.kind === "rate_limit" && o.key === "social:post-budget"));
});

test("a reply to a bot, a locked account, the mesh's own account or an unmentioning status is denied by its rule", () => {
  for (const [flag, value, rule] of [
    ["authorBot", true, "social-never-bots"],
    ["authorLocked", true, "social-never-locked"],
    ["fromSelf", true, "social-never-own-account"],
    ["mentioned", false, "social-only-when-mentioned"],
  ] as const) {
    const d = post({ ...person, [flag]: value });
    assert.equal(d.effect, "deny", flag);
    assert.ok(d.reasons.includes(rule), `${flag}: ${d.reasons.join(",")}`);
  }
});

test("a reply to a platform outside the task's allowed regions is denied (residency)", () => {
  assert.equal(post(person, "us").effect, "deny");
});

test("polling the platform, an effect about no task, is decided on the process's region", () => {
  const read = (region: string) =>
    policy.decide({ action: "tool.call", principal: { agent: "social" }, resource: { endpoint: "social-read", url: "http://x/api/v1/notifications", region }, context: { region: "eu" } });
  assert.equal(read("eu").effect, "allow");
  assert.equal(read("us").effect, "deny");
});
