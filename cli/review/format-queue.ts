import { byPriority, type QueueItem } from "../../agents/review/queue.js";

/**
 * `mesh review ls`: the open queue as the page orders it, one line per item, from the review agent's state
 * (the CLI reads KV `mesh_state_review`, keys `item.*`). Shows no task text: a terminal is no place for PII.
 */
export function formatReviewQueue(items: readonly QueueItem[], now = Date.now()): string {
  const open = items.filter((i) => i.status !== "decided").sort(byPriority);
  if (open.length === 0) return "review queue empty";
  const rows = open.map((i) => {
    const overdue = Date.parse(i.dueAt) <= now;
    return [
      i.id,
      i.flow,
      i.request.code,
      i.requiresApproval ? "approver" : "reviewer",
      i.claim ? `${i.status}:${i.claim.reviewer}` : i.status,
      `${overdue ? "OVERDUE " : ""}due ${i.dueAt}`,
      i.breaches ? `breaches ${i.breaches}` : "",
    ];
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [`${open.length} open review item${open.length === 1 ? "" : "s"}`, ...rows.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join("  ").trimEnd())].join("\n");
}
