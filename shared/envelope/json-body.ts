import { SchemaError } from "../errors/index.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export interface DecodedText {
  readonly text: string;
  /** Offset of the first byte that is not part of valid UTF-8, when there is one. */
  readonly invalidAt: number | undefined;
}

/**
 * Decodes UTF-8 without ever repairing it. Where the bytes are invalid, each bad byte becomes a lone surrogate
 * (U+DC80..U+DCFF, as Python's surrogateescape does): the text still parses, a schema that refuses ill-formed
 * strings then names the field that held the bytes, and `invalidAt` says the body must be refused regardless.
 * A lenient decoder would turn distinct byte strings into the same U+FFFD and merge distinct events.
 */
export function decodeUtf8(body: Uint8Array): DecodedText {
  try {
    return { text: utf8.decode(body), invalidAt: undefined };
  } catch {
    let text = "";
    let start = 0;
    let invalidAt: number | undefined;
    for (let i = 0; i < body.length; ) {
      const n = validSequenceLength(body, i);
      if (n) {
        i += n;
        continue;
      }
      invalidAt ??= i;
      text += `${utf8.decode(body.subarray(start, i))}${String.fromCharCode(0xdc00 + body[i]!)}`;
      start = ++i;
    }
    return { text: text + utf8.decode(body.subarray(start)), invalidAt };
  }
}

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), or 0. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) return cont(1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf) && cont(2) ? 3 : 0;
  if (c >= 0xf0 && c <= 0xf4) return cont(1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The reason for a body that is not UTF-8: where, never what. */
export function invalidUtf8Reason(what: string, body: Uint8Array, invalidAt: number): string {
  return `(body): ${what} is not valid UTF-8 (first bad byte at ${invalidAt} of ${body.byteLength})`;
}

/**
 * Parses a message body as UTF-8 JSON. The error names what failed and where, never what was there: V8's
 * JSON.parse messages quote the input (`Unexpected token 'o', "{"name": "Ann…" is not valid JSON`), and a
 * reason or log line carrying them would copy personal data out of the encrypted streams.
 * @example parseJsonBody(msg.data, "task message") // SchemaError "(body): task message is not JSON (syntax error at position 14)"
 */
export function parseJsonBody(body: Uint8Array | string, what: string): unknown {
  if (typeof body === "string") return parseJsonText(body, what);
  const { text, invalidAt } = decodeUtf8(body);
  if (invalidAt !== undefined) throw new SchemaError(invalidUtf8Reason(what, body, invalidAt));
  return parseJsonText(text, what);
}

export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /at position (\d+)/.exec((err as Error).message)?.[1];
    const where = position ? ` at position ${position}` : /end of JSON input/i.test((err as Error).message) ? " at the end" : "";
    throw new SchemaError(`(body): ${what} is not JSON (syntax error${where})`);
  }
}
