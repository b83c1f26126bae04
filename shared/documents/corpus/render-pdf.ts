import { PDFDocument, StandardFonts } from "pdf-lib";
import type { Row } from "./printed.js";

export interface PdfOptions {
  /** Bytes of an attached file (a scanned appendix): how the corpus makes a large PDF without a large page. */
  readonly attachmentBytes?: number;
}

/** An A4 page with a real text layer (Helvetica), the rows top to bottom. */
export async function renderPdf(rows: readonly Row[], options: PdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  // Fixed dates keep the bytes a function of the seed only.
  doc.setCreationDate(new Date(Date.UTC(2026, 0, 1)));
  doc.setModificationDate(new Date(Date.UTC(2026, 0, 1)));
  doc.setProducer("meshwork corpus");
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  let y = 800;
  for (const row of rows) {
    const size = Math.max(...row.map((c) => c.size ?? 10));
    for (const cell of row) page.drawText(cell.text, { x: cell.x, y, size: cell.size ?? 10, font });
    y -= size + 8;
  }
  if (options.attachmentBytes) {
    const blob = new Uint8Array(options.attachmentBytes);
    let s = 0x9e3779b9;
    // Incompressible filler, so the file really is as large as asked.
    for (let i = 0; i < blob.length; i++) blob[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    await doc.attach(blob, "appendix.bin", { mimeType: "application/octet-stream", creationDate: new Date(Date.UTC(2026, 0, 1)), modificationDate: new Date(Date.UTC(2026, 0, 1)) });
  }
  return doc.save({ useObjectStreams: false });
}
