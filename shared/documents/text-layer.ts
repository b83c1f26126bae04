import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { SchemaError } from "../errors/index.js";

export const pdfLimits = { maxPages: 20, maxChars: 200_000 } as const;

interface TextItem {
  readonly str: string;
  readonly transform: number[];
  readonly width: number;
}

/**
 * The text layer of a PDF as lines, top to bottom: runs on one baseline joined left to right, two spaces where a
 * gap separates columns. Only the first pages are read; a file pdf.js cannot open is refused with its reason.
 */
export async function pdfLines(bytes: Uint8Array, limits = pdfLimits): Promise<string[]> {
  let pdf;
  try {
    // A plain Uint8Array copy: pdf.js refuses a Buffer (what the object store hands back for a one-chunk object) and
    // transfers the buffer it is given, which the caller may still need.
    pdf = await getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: true, verbosity: 0 }).promise;
  } catch (err) {
    throw new SchemaError(`document: malformed PDF (${(err as Error).name}: ${(err as Error).message})`);
  }
  try {
    const lines: string[] = [];
    let chars = 0;
    for (let p = 1; p <= Math.min(pdf.numPages, limits.maxPages); p++) {
      const page = await pdf.getPage(p);
      const content = await page.getTextContent();
      const items = (content.items as TextItem[]).filter((i) => typeof i.str === "string" && i.str.trim());
      const rows = new Map<number, TextItem[]>();
      for (const item of items) {
        const y = Math.round(item.transform[5]!);
        rows.set(y, [...(rows.get(y) ?? []), item]);
      }
      for (const y of [...rows.keys()].sort((a, b) => b - a)) {
        const row = rows.get(y)!.sort((a, b) => a.transform[4]! - b.transform[4]!);
        let line = "";
        let end = -Infinity;
        for (const item of row) {
          const x = item.transform[4]!;
          line += line ? (x - end > 6 ? "   " : " ") : "";
          line += item.str.trim();
          end = x + item.width;
        }
        chars += line.length;
        if (chars > limits.maxChars) throw new SchemaError(`document: PDF text layer is over ${limits.maxChars} characters`);
        lines.push(line);
      }
    }
    return lines;
  } finally {
    await pdf.destroy();
  }
}

/** Lines of a plain-text document (an e-mail body), trailing spaces dropped, empty lines kept out. */
export function textLines(text: string, limits = pdfLimits): string[] {
  if (text.length > limits.maxChars) throw new SchemaError(`document: text of ${text.length} characters is over the ${limits.maxChars}-character limit`);
  return text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim());
}
