import { z } from "zod";
import { describeIssues } from "../../shared/runtime/index.js";
import { ReviewError } from "./errors.js";
import type { ItemSummary } from "./snapshot.js";

/** Where an item stands against its SLA: past due, due within the warning window, or comfortably on time. */
export type SlaState = "overdue" | "due_soon" | "on_time";

const dueSoonMs = 15 * 60_000;

export function slaState(dueAt: string, now: number): SlaState {
  const left = Date.parse(dueAt) - now;
  return left <= 0 ? "overdue" : left <= dueSoonMs ? "due_soon" : "on_time";
}

const queueQuerySchema = z.object({
  q: z.string().trim().max(200).optional(),
  flow: z.string().max(64).optional(),
  reason: z.string().max(64).optional(),
  sla: z.enum(["overdue", "due_soon", "on_time"]).optional(),
  /** `me`, `unassigned`, or a reviewer id. */
  assignee: z.string().max(128).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});
export type QueueQuery = z.infer<typeof queueQuerySchema>;

/** The queue page's query string, parsed; empty values mean "any". An error names the parameter. */
export function parseQueueQuery(params: Record<string, string>): QueueQuery {
  const present = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ""));
  const parsed = queueQuerySchema.safeParse(present);
  if (!parsed.success) throw new ReviewError("E_SCHEMA", `query: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export interface QueuePage {
  readonly items: readonly (ItemSummary & { readonly sla: SlaState })[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pages: number;
  /** Values the filters can take in the whole open queue, for the filter menus. */
  readonly facets: { readonly flows: readonly string[]; readonly reasons: readonly string[]; readonly assignees: readonly string[] };
}

const distinct = (values: readonly (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))].sort();

/** Filters the open queue (in priority order) and cuts one page; search looks at the shown, redacted text. */
export function queuePage(rows: readonly ItemSummary[], query: QueueQuery, reviewerId: string, now: number): QueuePage {
  const q = query.q?.toLowerCase();
  const assigneeMatches = (claimedBy: string | null) =>
    query.assignee === undefined ||
    (query.assignee === "unassigned" ? claimedBy === null : claimedBy === (query.assignee === "me" ? reviewerId : query.assignee));
  const matching = rows
    .map((r) => ({ ...r, sla: slaState(r.dueAt, now) }))
    .filter(
      (r) =>
        (!query.flow || r.flow === query.flow) &&
        (!query.reason || r.code === query.reason) &&
        (!query.sla || r.sla === query.sla) &&
        assigneeMatches(r.claimedBy) &&
        (!q || [r.preview, r.code, r.prediction ?? "", r.id].some((s) => s.toLowerCase().includes(q))),
    );
  const pages = Math.max(1, Math.ceil(matching.length / query.pageSize));
  const page = Math.min(query.page, pages);
  return {
    items: matching.slice((page - 1) * query.pageSize, page * query.pageSize),
    total: matching.length,
    page,
    pageSize: query.pageSize,
    pages,
    facets: { flows: distinct(rows.map((r) => r.flow)), reasons: distinct(rows.map((r) => r.code)), assignees: distinct(rows.map((r) => r.claimedBy)) },
  };
}
