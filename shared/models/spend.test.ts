import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { priceOf } from "./llm-tier.js";
import { spendReserveSchema, worstCaseSpend } from "./spend.js";
import { endpointSchema } from "./llm-tier.js";

const endpoint = endpointSchema.parse({ name: "e", baseUrl: "http://127.0.0.1:1/v1", model: "m", region: "eu", priceUsdPer1kInputTokens: 0.5, priceUsdPer1kOutputTokens: 1.5 });
const reserve = spendReserveSchema.parse({});

test("the worst case of a call reserves at least one token per UTF-8 byte of any prompt, plus the overhead and the output allowance", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "grapheme" }), { maxLength: 5 }), fc.integer({ min: 1, max: 4096 }), (parts, outputTokens) => {
      const bytes = parts.reduce((n, p) => n + Buffer.byteLength(p, "utf8"), 0);
      const w = worstCaseSpend(endpoint, reserve, parts, outputTokens);
      assert.equal(w.tokens, bytes + reserve.promptOverheadTokens + outputTokens);
      assert.equal(w.usd, priceOf(endpoint, { inputTokens: bytes + reserve.promptOverheadTokens, outputTokens }));
    }),
  );
});

test("a longer prompt never reserves less", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      assert.ok(worstCaseSpend(endpoint, reserve, [a + b], 10).usd >= worstCaseSpend(endpoint, reserve, [a], 10).usd);
    }),
  );
});
