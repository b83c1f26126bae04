import { printedRows, rowsAsText } from "./printed.js";
import { renderPdf, type PdfOptions } from "./render-pdf.js";
import { renderCii, renderUbl } from "./render-xml.js";
import { truthCorpus, type TruthDocument } from "./truth.js";

export { layouts, layoutById, type Layout, type DocumentFormat } from "./layouts.js";
export { truthCorpus, vendorsFor, type TruthDocument, type Vendor } from "./truth.js";
export { formatAmount, formatDate } from "./printed.js";

/** A generated document as it would arrive: bytes and a content type, with the truth beside it. */
export interface CorpusDocument {
  readonly truth: TruthDocument;
  readonly contentType: "application/pdf" | "text/plain" | "application/xml";
  readonly bytes: Uint8Array;
}

/** Renders one invoice in its vendor's layout. */
export async function renderDocument(truth: TruthDocument, pdf: PdfOptions = {}): Promise<CorpusDocument> {
  const format = truth.vendor.layout.format;
  const utf8 = (s: string) => new TextEncoder().encode(s);
  if (format === "ubl") return { truth, contentType: "application/xml", bytes: utf8(renderUbl(truth)) };
  if (format === "cii") return { truth, contentType: "application/xml", bytes: utf8(renderCii(truth)) };
  if (format === "text") return { truth, contentType: "text/plain", bytes: utf8(rowsAsText(printedRows(truth))) };
  return { truth, contentType: "application/pdf", bytes: await renderPdf(printedRows(truth), pdf) };
}

/**
 * The seeded corpus: `count` documents over every layout (two vendors each), the same bytes for the same seed.
 * Generated where it is used (tests, bench, `mesh eval extract`), never downloaded.
 * @example const docs = await generateCorpus(7, 500);
 */
export async function generateCorpus(seed: number, count: number): Promise<CorpusDocument[]> {
  const out: CorpusDocument[] = [];
  for (const truth of truthCorpus(seed, count)) out.push(await renderDocument(truth));
  return out;
}
