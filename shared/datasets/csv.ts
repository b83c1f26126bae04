import { CsvError, parse } from "csv-parse/sync";
import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";

/** One CSV record and the 1-based line it starts on, so errors point at the line a person sees in their editor. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

// One reading of CSV for every caller (data sets, `mesh eval --data`, `mesh plan`): RFC 4180 quoting, CRLF, LF or CR
// (mixed, as files pasted together have them), a UTF-8 BOM dropped as spreadsheet exports write it, blank lines
// skipped, rows of any width (the callers' schemas judge the columns), and a field with a stray quote (`5" screws`,
// `"ab"c`) kept as written rather than refusing a hand-typed sheet; only an unclosed quote is an error.

const BOM = "\uFEFF";

/**
 * Line numbers from byte offsets: csv-parse reports where each record ends in bytes, and its own line count is off
 * for line breaks inside quoted fields. CRLF, LF and CR each count as one break, blank lines are stepped over.
 */
function lineLocator(bytes: Buffer) {
  let at = bytes.subarray(0, 3).toString("utf8") === BOM ? 3 : 0;
  let line = 1;
  const isBreak = (b: number | undefined) => b === 0x0a || b === 0x0d;
  const step = () => {
    if (bytes[at] === 0x0d && bytes[at + 1] === 0x0a) at++;
    if (isBreak(bytes[at])) line++;
    at++;
  };
  /** The line of the first record that starts at or after byte `offset`. */
  return (offset: number): number => {
    while (at < offset) step();
    while (isBreak(bytes[at])) step();
    return line;
  };
}

/** Parses CSV text into records; a malformed file throws SchemaError naming the line the bad record starts on. */
export function parseCsv(text: string): CsvRecord[] {
  const bytes = Buffer.from(text, "utf8");
  const lineAt = lineLocator(bytes);
  const records: CsvRecord[] = [];
  let recordStart = 0;
  try {
    // The library's types give on_record no way to return another shape without `columns`: records are kept aside.
    parse(bytes, {
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n", "\r"],
      on_record(fields: string[], context) {
        records.push({ line: lineAt(recordStart), fields });
        recordStart = context.bytes;
        return fields;
      },
    });
    return records;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    throw new SchemaError(`line ${lineAt(recordStart)}: ${describeCsvError(err)}`);
  }
}

const describeCsvError = (err: CsvError): string => (err.code === "CSV_QUOTE_NOT_CLOSED" ? "a quoted field is not closed" : err.message);

export interface LabelledText {
  readonly text: string;
  readonly category: string;
}

const rowSchema = z.object({ text: z.string().trim().min(1), category: z.string().trim().min(1) });

/** A `text,category` CSV (header row required, extra columns ignored) → rows; a bad row names its line and field. */
export function parseLabelledCsv(source: string): LabelledText[] {
  const [header, ...body] = parseCsv(source);
  const textCol = header?.fields.indexOf("text") ?? -1;
  const categoryCol = header?.fields.indexOf("category") ?? -1;
  if (textCol < 0 || categoryCol < 0) throw new SchemaError("csv header: needs columns `text` and `category`");
  return body.map(({ line, fields }) => {
    const parsed = rowSchema.safeParse({ text: fields[textCol], category: fields[categoryCol] });
    if (!parsed.success) throw new SchemaError(`csv line ${line}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  });
}
