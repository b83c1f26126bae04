import { z } from "zod";
import { describeIssues } from "../../shared/runtime/index.js";
import { ReviewError } from "./errors.js";
import type { IndexEntry, QueueIndex } from "./queue-index.js";
import type { ItemSummary } from "./snapshot.js";

/** Where an item stands against its SLA: past due, due within the warning window, or comfortably on time. */
export type SlaState = "overdue" | "due_soon" | "on_time";

const dueSoonMs = 15 * 60_000;

export function slaState(dueAtMs: number, now: number): SlaState {
  const left = dueAtMs - now;
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

/**
 * The query as the index takes it: flow and reason pick the index's own lists; SLA state, assignee and search are a
 * test on their entries (absent when the query has none: the page is then a plain cut of a list).
 */
function filterOf(query: QueueQuery, reviewerId: string, now: number) {
  const q = query.q?.toLowerCase();
  const assignee = query.assignee === "me" ? reviewerId : query.assignee;
  const matches =
    !q && !query.sla && assignee === undefined
      ? undefined
      : (e: IndexEntry) =>
          (!query.sla || slaState(e.dueAtMs, now) === query.sla) &&
          (assignee === undefined || (assignee === "unassigned" ? e.claimedBy === null : e.claimedBy === assignee)) &&
          (!q || e.search.includes(q));
  return { ...(query.flow ? { flow: query.flow } : {}), ...(query.reason ? { code: query.reason } : {}), ...(matches ? { matches } : {}) };
}

/**
 * One page of the open queue in priority order, filtered, searched and read from the index alone (no read of the
 * store). Only the page's items are summarised, which opens their personal fields (audited).
 */
export async function queuePage(
  index: QueueIndex,
  query: QueueQuery,
  reviewerId: string,
  now: number,
  summarise: (ids: readonly string[]) => Promise<ItemSummary[]>,
): Promise<QueuePage> {
  const filter = filterOf(query, reviewerId, now);
  const window = (page: number) => index.select(filter, (page - 1) * query.pageSize, query.pageSize);
  const asked = window(query.page);
  const { total } = asked;
  const pages = Math.max(1, Math.ceil(total / query.pageSize));
  const page = Math.min(query.page, pages);
  // A page past the end shows the last one.
  const { entries } = page === query.page ? asked : window(page);
  const rows = await summarise(entries.map((e) => e.id));
  return {
    items: rows.map((r) => ({ ...r, sla: slaState(Date.parse(r.dueAt), now) })),
    total,
    page,
    pageSize: query.pageSize,
    pages,
    facets: index.facets(),
  };
}
