import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseLabelledCsv, type LabelledText } from "./csv.js";
import { isEvalRow } from "./split.js";

const dir = fileURLToPath(new URL("./banking77/", import.meta.url));

/** BANKING77 training split (CC BY 4.0, see banking77/SOURCE.md), copied into the project. */
export const banking77Paths = {
  csv: `${dir}train.csv`,
  categories: `${dir}categories.json`,
} as const;

export function loadBanking77(): { rows: LabelledText[]; categories: string[] } {
  const rows = parseLabelledCsv(readFileSync(banking77Paths.csv, "utf8"));
  const categories = JSON.parse(readFileSync(banking77Paths.categories, "utf8")) as string[];
  return { rows, categories };
}

/** Train+calibration rows (four fifths) and the held-out evaluation fifth. */
export function splitBanking77(rows: readonly LabelledText[]): { fit: LabelledText[]; evaluation: LabelledText[] } {
  const fit: LabelledText[] = [];
  const evaluation: LabelledText[] = [];
  for (const row of rows) (isEvalRow(row.text) ? evaluation : fit).push(row);
  return { fit, evaluation };
}
