import { test } from "node:test";
import assert from "node:assert/strict";
import { pinLabel } from "../../../shared/models/index.js";
import { standIn } from "./fixtures.js";

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("the tool-calling form of structured output is answered with a tool call that fits the schema", async (t) => {
  const s = await standIn(t);
  const res = await post(`${s.url}/chat/completions`, {
    model: "gpt-4",
    messages: [{ role: "user", content: `hello ${pinLabel("b", 0.7)}` }],
    tools: [{ type: "function", function: { name: "extract", parameters: { type: "object", properties: { label: { type: "string", enum: ["a", "b"] }, confidence: { type: "number" } } } } }],
    tool_choice: { type: "function", function: { name: "extract" } },
  });
  const body = (await res.json()) as { choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] } }[]; usage: { prompt_tokens: number } };
  const call = body.choices[0]!.message.tool_calls[0]!.function;
  assert.equal(call.name, "extract");
  assert.deepEqual(JSON.parse(call.arguments), { label: "b", confidence: 0.7 });
  assert.ok(body.usage.prompt_tokens > 0);
});

test("the admin endpoint injects failures at run time and lists what was received", async (t) => {
  const s = await standIn(t);
  const cfg = await post(`${s.adminUrl}`, { failForMs: 60_000, failStatus: 500 });
  assert.equal(cfg.status, 200);
  const r = await post(`${s.url}/chat/completions`, { model: "m", messages: [{ role: "user", content: "x" }] });
  assert.equal(r.status, 500);
  const bad = await post(`${s.adminUrl}`, { failRate: 3 });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /failRate/);
  const log = (await (await fetch(`${s.adminUrl}/requests`)).json()) as { count: number; requests: { body: { model: string } }[] };
  assert.equal(log.count, 1);
  assert.equal(log.requests[0]!.body.model, "m");
});
