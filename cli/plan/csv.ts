export { parseCsv, type CsvRecord } from "../../shared/datasets/csv.js";

/** Quotes a field only when it needs it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
