/**
 * Invoice extraction throughput on the generated corpus (600 documents, every layout), per format, beside the
 * floor each format sets in the same run: reading the PDF's text layer with pdf.js, decoding the e-mail text,
 * parsing the XML with fast-xml-parser. The ratio is what the tiers and checks add on top of reading the bytes.
 *   npm run bench -- extract
 */
import { performance } from "node:perf_hooks";
import { XMLParser } from "fast-xml-parser";
import { generateCorpus, type CorpusDocument } from "../../shared/documents/corpus/index.js";
import { extractInvoice } from "../../shared/documents/index.js";
import { pdfLines, textLines } from "../../shared/documents/text-layer.js";

const docs = await generateCorpus(1, 600);
const xml = new XMLParser({ processEntities: false, removeNSPrefix: true });

/** The cost of reading the bytes at all: the baseline of the same shape. */
async function floor(d: CorpusDocument): Promise<unknown> {
  if (d.contentType === "application/pdf") return pdfLines(d.bytes);
  const text = new TextDecoder().decode(d.bytes);
  return d.contentType === "text/plain" ? textLines(text) : xml.parse(text);
}

async function time(items: readonly CorpusDocument[], fn: (d: CorpusDocument) => Promise<unknown>): Promise<number> {
  for (const d of items.slice(0, 10)) await fn(d);
  const start = performance.now();
  for (const d of items) await fn(d);
  return (performance.now() - start) / items.length;
}

console.log(`${"format".padEnd(18)}${"docs".padStart(6)}${"floor ms/doc".padStart(14)}${"extract ms/doc".padStart(16)}${"docs/s".padStart(9)}${"ratio".padStart(8)}`);
for (const type of ["application/pdf", "text/plain", "application/xml"] as const) {
  const items = docs.filter((d) => d.contentType === type);
  const base = await time(items, floor);
  const full = await time(items, (d) => extractInvoice(d));
  console.log(`${type.padEnd(18)}${String(items.length).padStart(6)}${base.toFixed(2).padStart(14)}${full.toFixed(2).padStart(16)}${(1000 / full).toFixed(0).padStart(9)}${base >= 0.05 ? `${(full / base).toFixed(2).padStart(7)}x` : "      — (floor ~0)"}`);
}
