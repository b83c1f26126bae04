import { execFile } from "node:child_process";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { publish, registerIdentity, subjects, type Bus } from "../../shared/bus/index.js";
import { AuditWriter } from "../../shared/runtime/audit-writer.js";
import type { ChainedRecord } from "../../policy/audit-chain/index.js";
import { createSigningKey } from "../../policy/signing/index.js";
import { startNats, type TestNats } from "../helpers/nats.js";

/** The attacks below are made against this: a broker, invoice and triage registered by the operator. */
export interface AuditedMesh {
  readonly nats: TestNats;
  readonly bus: Bus;
  readonly keys: { readonly invoice: { seed: string; publicKey: string }; readonly triage: { seed: string; publicKey: string } };
}

export async function auditedMesh(t: TestContext): Promise<AuditedMesh> {
  const nats = await startNats(t);
  const bus = await nats.connect("operator");
  const keys = { invoice: createSigningKey(), triage: createSigningKey() };
  await registerIdentity(bus, { publicKey: keys.invoice.publicKey, name: "invoice", kind: "agent" });
  await registerIdentity(bus, { publicKey: keys.triage.publicKey, name: "triage", kind: "agent" });
  return { nats, bus, keys };
}

export const taskId = `env_${"5".repeat(32)}`;

/** What the real invoice agent leaves for one task: a few effects, closed (so checkpointed) as at shutdown. */
export async function genuineInvoiceTrail(mesh: AuditedMesh, instance = "invoice-1"): Promise<void> {
  const writer = new AuditWriter(mesh.bus, "invoice", instance, mesh.keys.invoice.seed, { idleCheckpointMs: 60_000 });
  for (const action of ["event.emit", "task.complete"]) await writer.append({ kind: "effect", action, effect: "done", region: "eu", taskId, subject: "mesh.result.invoice" });
  await writer.close();
}

/** Publishes forged records as an attacker holding publish rights on the writer's subjects would. */
export async function publishForged(bus: Bus, records: readonly ChainedRecord[], writer: string): Promise<void> {
  for (const rec of records) await publish(bus, subjects.audit("eu", rec.kind === "open" || rec.kind === "checkpoint" ? undefined : taskId, writer), rec, { msgId: `forged:${rec.instance}:${rec.seq}` });
}

const cli = fileURLToPath(new URL("../../cli/mesh.mjs", import.meta.url));

/** Runs the `mesh` CLI against the test broker; resolves with its exit code and output (a non-zero exit is not an error here). */
export function mesh(nats: TestNats, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, NATS_URL: nats.url, MESH_AUDIT_TRUST: "" } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
