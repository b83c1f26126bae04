import type { PushResult } from "../distribution/index.js";

export function formatPolicyPush(r: PushResult): string {
  return [
    `policy push: revision ${r.previousRevision || "(none)"} → ${r.revision} stored in KV (kv revision ${r.kvRevision})`,
    `  signed by ${r.approver} at ${r.signedAt}`,
    `  digest ${r.digest}`,
    "  agents watching mesh_policy verify the signature and swap to it; a rejected document leaves the last good revision in force",
  ].join("\n");
}
