import type { AuditEntry } from "../audit-writer.js";
import type { Effect, EffectTrail, Interceptor } from "./pipeline.js";

/** Where audit records go (the runtime's AuditWriter: hash-chained, signed, per instance). */
export interface AuditAppender {
  append(entry: AuditEntry): Promise<void>;
}

/**
 * One record per effect, written after it: the decision that allowed it folded into the record of what was
 * done, or the denial (and its reasons) when it was refused. A denied effect is recorded before its error
 * leaves the pipeline; an allowed effect that failed is recorded as failed. The effect's caller acknowledges
 * its message only after this resolves (or, for an effect of a delivery, after every record it handed to
 * `auditLater` is stored), so no effect goes unrecorded.
 * @example pipeline(audit(writer), policyDecision(gate))
 */
export function audit(writer: AuditAppender): Interceptor {
  return async function auditInterceptor(effect, trail, next) {
    let result: unknown;
    try {
      result = await next(effect, trail);
    } catch (err) {
      if (trail.decision) {
        const outcome = trail.decision.effect === "deny" ? "refused" : "failed";
        await writer.append(record(effect, trail, outcome, outcome === "failed" ? { error: errorCode(err) } : undefined));
      }
      throw err;
    }
    const stored = writer.append(record(effect, trail, "done", effect.describe?.(result)));
    if (effect.auditLater) effect.auditLater(stored);
    else await stored;
    return result;
  };
}

function record(effect: Effect, trail: EffectTrail, outcome: "done" | "refused" | "failed", extra: Record<string, unknown> | undefined): AuditEntry {
  const d = trail.decision!;
  const task = effect.facts.task;
  const detail = {
    ...effect.auditDetail,
    ...extra,
    ...(d.shadow.length ? { shadow: d.shadow } : {}),
    ...(d.warnings.length ? { warnings: d.warnings } : {}),
  };
  return {
    kind: "decision",
    action: effect.action,
    effect: d.effect,
    outcome,
    reasons: d.reasons,
    revision: d.revision,
    digest: d.digest,
    region: effect.region,
    // The request itself (scrubbed of PII by the audit chain), so `mesh policy diff` can replay it.
    request: { resource: effect.resource, context: effect.facts },
    ...(effect.principal.roles ? { roles: effect.principal.roles } : {}),
    ...(effect.resource.subject ? { subject: effect.resource.subject } : {}),
    ...(task ? { taskId: task.id, flow: task.flow } : {}),
    ...(effect.traceId ? { traceId: effect.traceId } : {}),
    ...(Object.keys(detail).length ? { detail } : {}),
  };
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : "E_UNKNOWN";
}
