import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeUtf8 } from "../../../shared/envelope/index.js";

const fatal = new TextDecoder("utf-8", { fatal: true });

/** Bytes that are mostly UTF-8 with damage: truncated sequences, stray continuations, overlongs, encoded surrogates. */
const damaged = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 4 }).map((s) => Buffer.from(s.isWellFormed() ? s : "x")),
      fc.constantFrom([0x80], [0xbf], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xf4, 0x90, 0x80, 0x80], [0xfe], [0xff]).map((b) => Buffer.from(b)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

/** Inverse of the decoder: escaped bytes (lone U+DC80..U+DCFF) back to bytes, every other code point as UTF-8. */
function reencode(text: string): Buffer {
  const out: Buffer[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out.push(cp >= 0xdc80 && cp <= 0xdcff ? Buffer.from([cp - 0xdc00]) : Buffer.from(ch, "utf8"));
  }
  return Buffer.concat(out);
}

test("decodeUtf8 finds bytes invalid exactly when a fatal UTF-8 decoder does, and agrees with it on valid input", () => {
  fc.assert(
    fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 24 })), (bytes) => {
      let expected: string | undefined;
      try {
        expected = fatal.decode(bytes);
      } catch {
        expected = undefined;
      }
      const { text, invalidAt } = decodeUtf8(bytes);
      if (expected === undefined) {
        assert.notEqual(invalidAt, undefined);
        assert.ok(!text.isWellFormed(), "invalid input never decodes to a well-formed string a schema would accept");
        assert.doesNotThrow(() => fatal.decode(bytes.subarray(0, invalidAt)), "everything before the first bad byte is valid");
      } else {
        assert.deepEqual({ text, invalidAt }, { text: expected, invalidAt: undefined });
      }
    }),
    { numRuns: 3000 },
  );
});

test("decodeUtf8 loses no byte: re-encoding its text gives back exactly the input, so distinct bodies stay distinct", () => {
  fc.assert(
    fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 24 })), (bytes) => {
      assert.deepEqual(reencode(decodeUtf8(bytes).text), Buffer.from(bytes));
    }),
    { numRuns: 3000 },
  );
});
