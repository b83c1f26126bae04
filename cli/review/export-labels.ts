import type { Writable } from "node:stream";
import { once } from "node:events";
import { describeIssues, labelSchema, SchemaError, type Label } from "../../shared/runtime/index.js";

/**
 * Writes labels as JSONL, one validated label per line, in the order given; backs `mesh labels export`.
 * Waits on the stream's backpressure, so exporting a large label stream holds one line in memory.
 * @example await exportLabels(readLabels("ticket"), process.stdout)
 */
export async function exportLabels(records: AsyncIterable<unknown> | Iterable<unknown>, out: Writable): Promise<number> {
  let n = 0;
  for await (const record of records) {
    const parsed = labelSchema.safeParse(record);
    if (!parsed.success) throw new SchemaError(`label ${n + 1}: ${describeIssues(parsed.error.issues)}`);
    const label: Label = parsed.data;
    if (!out.write(`${JSON.stringify(label)}\n`)) await once(out, "drain");
    n++;
  }
  return n;
}
