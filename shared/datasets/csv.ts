import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";

/** RFC 4180 parsing: quoted fields may hold commas, doubled quotes and line breaks (BANKING77 has all three). */
export function parseCsv(source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

export interface LabelledText {
  readonly text: string;
  readonly category: string;
}

const rowSchema = z.object({ text: z.string().trim().min(1), category: z.string().trim().min(1) });

/** A `text,category` CSV (header row required, extra columns ignored) → rows; a bad row names its line and field. */
export function parseLabelledCsv(source: string): LabelledText[] {
  const [header, ...body] = parseCsv(source);
  const textCol = header?.indexOf("text") ?? -1;
  const categoryCol = header?.indexOf("category") ?? -1;
  if (textCol < 0 || categoryCol < 0) throw new SchemaError("csv header: needs columns `text` and `category`");
  return body.map((cells, i) => {
    const parsed = rowSchema.safeParse({ text: cells[textCol], category: cells[categoryCol] });
    if (!parsed.success) throw new SchemaError(`csv row ${i + 2}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  });
}
