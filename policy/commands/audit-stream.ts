import { defaultTopologyOptions, streamConfigs, streamInfo, streamNames, type Bus } from "../../shared/bus/index.js";
import type { AuditProblem } from "../audit-chain/index.js";

/** The stream as the broker reports it; only the fields the checks read. */
export interface AuditStreamInfo {
  readonly config: {
    readonly subjects?: readonly string[];
    readonly retention?: string;
    readonly deny_delete?: boolean;
    readonly deny_purge?: boolean;
    readonly max_age?: number;
    readonly max_msgs?: number;
    readonly max_bytes?: number;
    readonly max_msgs_per_subject?: number;
  };
  readonly state: { readonly first_seq: number; readonly last_seq: number; readonly messages: number; readonly num_deleted?: number };
}

const declared = streamConfigs(defaultTopologyOptions).find((c) => c.name === streamNames.audit)!;

/** A limit of 0 or less is no limit; the server reports "none" as -1. */
const unlimited = (v: number | undefined) => v === undefined || v <= 0;

/**
 * The settings of MESH_AUDIT that decide whether it can lose records, checked against shared/bus/topology.ts.
 * Any limit (age, count, bytes, per subject) makes the server discard old records; a retention other than
 * limits deletes them once consumed; allowing delete or purge lets anyone with the API remove them.
 */
export function auditStreamProblems(info: AuditStreamInfo, opts: { since?: number } = {}): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const config = (setting: string, actual: unknown, wanted: string) =>
    problems.push({ kind: "stream-config", position: 0, message: `${streamNames.audit} ${setting} is ${JSON.stringify(actual)}, declared ${wanted}: the server may drop audit records` });
  const c = info.config;
  const subjects = [...(c.subjects ?? [])].sort();
  if (subjects.join(",") !== [...(declared.subjects ?? [])].sort().join(",")) config("subjects", subjects, JSON.stringify(declared.subjects));
  if (c.retention !== declared.retention) config("retention", c.retention, JSON.stringify(declared.retention));
  if (c.deny_delete !== true) config("deny_delete", c.deny_delete ?? false, "true");
  if (c.deny_purge !== true) config("deny_purge", c.deny_purge ?? false, "true");
  for (const setting of ["max_age", "max_msgs", "max_bytes", "max_msgs_per_subject"] as const)
    if (!unlimited(c[setting])) config(setting, c[setting], "no limit");

  const { first_seq, last_seq, messages, num_deleted } = info.state;
  const expectedFirst = opts.since ?? 1;
  if (last_seq > 0 && first_seq > expectedFirst)
    problems.push({
      kind: "truncated",
      position: 0,
      message: `${streamNames.audit} starts at stream seq ${first_seq}${opts.since ? ` (after --since ${opts.since})` : ""}: ${first_seq - expectedFirst} message(s) stored before it are gone`,
    });
  if ((num_deleted ?? 0) > 0)
    problems.push({ kind: "truncated", position: 0, message: `${streamNames.audit} has ${num_deleted} message(s) deleted from inside it (${messages} of seq ${first_seq}-${last_seq} remain)` });
  return problems;
}

export async function readAuditStreamInfo(bus: Bus): Promise<AuditStreamInfo> {
  return (await streamInfo(bus, streamNames.audit)) as unknown as AuditStreamInfo;
}
