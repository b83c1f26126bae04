import { z } from "zod";
import { describeIssues } from "../../shared/runtime/index.js";
import { ReviewError } from "./errors.js";
import type { QueueItem } from "./queue.js";
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

const distinct = (values: readonly (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => typeof v === "string"))].sort();

/**
 * Filters the open queue (in priority order) and cuts one page. Only the items a reader sees are summarised
 * (which opens their personal fields, audited): the page, or every candidate when a search must read the shown,
 * redacted text.
 */
export async function queuePage(
  open: readonly QueueItem[],
  query: QueueQuery,
  reviewerId: string,
  now: number,
  summarise: (items: readonly QueueItem[]) => Promise<ItemSummary[]>,
): Promise<QueuePage> {
  const assigneeMatches = (claimedBy: string | undefined) =>
    query.assignee === undefined ||
    (query.assignee === "unassigned" ? claimedBy === undefined : claimedBy === (query.assignee === "me" ? reviewerId : query.assignee));
  const candidates = open.filter(
    (i) =>
      (!query.flow || i.flow === query.flow) &&
      (!query.reason || i.request.code === query.reason) &&
      (!query.sla || slaState(i.dueAt, now) === query.sla) &&
      assigneeMatches(i.claim?.reviewer),
  );
  const q = query.q?.toLowerCase();
  const cut = <T>(all: readonly T[]) => {
    const pages = Math.max(1, Math.ceil(all.length / query.pageSize));
    const page = Math.min(query.page, pages);
    return { pages, page, slice: all.slice((page - 1) * query.pageSize, page * query.pageSize) };
  };
  let total: number;
  let paged: { pages: number; page: number; slice: readonly ItemSummary[] };
  if (q) {
    const found = (await summarise(candidates)).filter((r) => [r.preview, r.code, r.prediction ?? "", r.id].some((s) => s.toLowerCase().includes(q)));
    total = found.length;
    paged = cut(found);
  } else {
    const { pages, page, slice } = cut(candidates);
    total = candidates.length;
    paged = { pages, page, slice: await summarise(slice) };
  }
  return {
    items: paged.slice.map((r) => ({ ...r, sla: slaState(r.dueAt, now) })),
    total,
    page: paged.page,
    pageSize: query.pageSize,
    pages: paged.pages,
    facets: { flows: distinct(open.map((i) => i.flow)), reasons: distinct(open.map((i) => i.request.code)), assignees: distinct(open.map((i) => i.claim?.reviewer)) },
  };
}
