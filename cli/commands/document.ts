import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { createHash } from "node:crypto";
import { openDocumentStore, subjects } from "../../shared/bus/index.js";
import { documentContentTypes, maxDocumentBytes } from "../../shared/envelope/index.js";
import { MeshError } from "../../shared/errors/index.js";
import { connectOperator } from "../operator.js";
import { report } from "../report.js";

const byExtension: Readonly<Record<string, (typeof documentContentTypes)[number]>> = { ".pdf": "application/pdf", ".xml": "application/xml", ".txt": "text/plain", ".eml": "message/rfc822" };

/**
 * `mesh document <file> [--tenant acme] [--region eu] [--json]`: an invoice document into the mesh by reference, as a mail
 * gateway would: the bytes into the document store (data.write on mesh.document.document), then a `document` event
 * naming them on mesh.in.document (event.emit); both decided by policy and audited. The name is the bytes' digest, so
 * the same file submitted twice is one document.
 */
export async function documentCommand(file: string, opts: { tenant: string; region: string; json?: boolean }): Promise<number> {
  const contentType = byExtension[extname(file).toLowerCase()];
  if (!contentType) throw new MeshError("E_CONFIG", `${file}: the extension says no type the extract agent reads (${Object.keys(byExtension).join(", ")})`);
  const bytes = await readFile(file);
  if (bytes.length > maxDocumentBytes) throw new MeshError("E_CONFIG", `${file}: ${bytes.length} bytes is over the ${maxDocumentBytes}-byte limit`);
  const name = `${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}${extname(file).toLowerCase()}`;
  const operator = await connectOperator("document");
  try {
    const store = await openDocumentStore(operator.bus);
    const stored = await operator.perform({
      action: "data.write",
      principal: operator.principal,
      resource: { subject: subjects.document("document"), region: opts.region },
      facts: {},
      region: opts.region,
      auditDetail: { document: name, size: bytes.length, file: basename(file) },
      run: () => store.put(name, bytes),
    });
    const event = { tenant: opts.tenant, region: opts.region, source: { system: "mesh-cli", id: name }, payload: { kind: "invoice", channel: "upload", document: { ...stored, contentType } } };
    await operator.publish(subjects.inbound("document"), event, `document:${name}`);
    report(opts, { document: stored, contentType, subject: subjects.inbound("document"), sourceId: name }, () => `${name}: ${bytes.length} bytes stored, document event published (follow it: mesh tail "mesh.result.document")`);
    return 0;
  } finally {
    await operator.close();
  }
}
