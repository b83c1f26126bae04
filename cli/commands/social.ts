import { openStateStore, subjects } from "../../shared/bus/index.js";
import { stateBucketOf } from "../../shared/runtime/consumer-specs.js";
import social, { backoffUntil, controlKey, readControl, type Control, type SocialMode } from "../../agents/social/index.js";
import { connectOperator } from "../operator.js";
import { report } from "../report.js";

const bucket = stateBucketOf(social)!;

/**
 * `mesh social pause|resume|status`: the social connector's mesh-wide switch (KV mesh_state_social, key control),
 * which every replica reads before each post. `resume --shadow` lets it draft and audit replies without posting.
 * A change is an operator effect (data.write), decided and audited.
 */
export async function socialCommand(sub: "pause" | "resume" | "status", values: { readonly reason?: string; readonly shadow?: boolean; readonly json?: boolean }): Promise<number> {
  const operator = await connectOperator(`social ${sub}`);
  try {
    const state = await openStateStore(operator.bus, bucket);
    if (sub === "status") {
      const control = await readControl(state);
      const until = await backoffUntil(state);
      const status = { mode: control?.mode ?? "unset (each replica's SOCIAL_MODE)", ...(control ? { reason: control.reason, by: control.by, at: control.at } : {}), ...(until > Date.now() ? { retryAfterUntil: new Date(until).toISOString() } : {}) };
      report(values, status, () => Object.entries(status).map(([k, v]) => `${k.padEnd(15)} ${v}`).join("\n"));
      return 0;
    }
    const mode: SocialMode = sub === "pause" ? "paused" : values.shadow ? "shadow" : "live";
    const control: Control = { mode, reason: values.reason ?? `mesh social ${sub}${values.shadow ? " --shadow" : ""}`, by: operator.person, at: new Date().toISOString() };
    await operator.perform({
      action: "data.write",
      principal: operator.principal,
      resource: { subject: subjects.stateKey(bucket, controlKey) },
      facts: {},
      region: operator.region,
      auditDetail: { person: operator.person, command: `social ${sub}`, mode },
      run: () => state.put(controlKey, control),
    });
    report(values, control, () => `social connector: ${mode} (every replica obeys before its next post)`);
    return 0;
  } finally {
    await operator.close();
  }
}
