import { SchemaError } from "../errors/index.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a message body as UTF-8 JSON. The error names what failed and where, never what was there: V8's
 * JSON.parse messages quote the input (`Unexpected token 'o', "{"name": "Ann…" is not valid JSON`), and a
 * reason or log line carrying them would copy personal data out of the encrypted streams.
 * @example parseJsonBody(msg.data, "task message") // SchemaError "(body): task message is not JSON (syntax error at position 14)"
 */
export function parseJsonBody(body: Uint8Array | string, what: string): unknown {
  let text: string;
  if (typeof body === "string") text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch {
      throw new SchemaError(`(body): ${what} is not valid UTF-8 (${body.byteLength} bytes)`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /at position (\d+)/.exec((err as Error).message)?.[1];
    const where = position ? ` at position ${position}` : /end of JSON input/i.test((err as Error).message) ? " at the end" : "";
    throw new SchemaError(`(body): ${what} is not JSON (syntax error${where})`);
  }
}
