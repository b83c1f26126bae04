import type { ReviewApproval, ReviewRequest, StateStore } from "../../shared/runtime/index.js";
import { ReviewError, isConflict } from "./errors.js";
import { searchableText } from "./search-text.js";
import type { Reviewer } from "./settings.js";

export type ItemStatus = "pending" | "claimed" | "decided";

export interface QueueItem {
  readonly id: string;
  readonly flow: string;
  readonly request: ReviewRequest;
  /** Policy refused to let the task complete without a human: only an approver may take it, and it goes first. */
  readonly requiresApproval: boolean;
  readonly status: ItemStatus;
  readonly receivedAt: string;
  /** End of the current SLA window; a window that passes without a decision is a breach and frees the item. */
  readonly dueAt: string;
  readonly breaches: number;
  /** Who holds the item now: they claimed it, or an approver assigned it to them (`assignedBy`). */
  readonly claim: { readonly reviewer: string; readonly at: string; readonly assignedBy?: string } | null;
  readonly decided: {
    readonly decision: "approve" | "correct" | "reject";
    readonly reviewer: string;
    readonly at: string;
    readonly leadTimeMs: number;
  } | null;
  /** Approvals given so far of an item that needs more than one approver (four-eyes), each signed. */
  readonly approvals?: readonly ReviewApproval[];
  /** Distinct approvers the pending approvals need in all (policy may ask more for a corrected category). */
  readonly approversNeeded?: number;
  /** Lower-cased searchable fields, taken when the item is queued (`search-text.ts`); personal data is not among them. */
  readonly search?: string;
  /** What happened to the item, oldest first: the history panel. */
  readonly history?: readonly HistoryEntry[];
}

export interface HistoryEntry {
  readonly at: string;
  /** A reviewer's id, or "sla" for the sweep. */
  readonly by: string;
  readonly what: "claimed" | "released" | "assigned" | "approved" | "corrected" | "decided" | "sla_breach";
  readonly detail?: string;
}

export interface QueueOptions {
  readonly slaMs: number;
  readonly now?: () => number;
}

export interface Queue {
  /** Stores a request as a pending item; a redelivered request finds its item and changes nothing. */
  intake(request: ReviewRequest): Promise<{ created: boolean; item: QueueItem }>;
  get(id: string): Promise<QueueItem | undefined>;
  claim(id: string, reviewer: Reviewer): Promise<QueueItem>;
  release(id: string, reviewer: Reviewer): Promise<QueueItem>;
  /** An approver hands an open item to `assignee` (taking it from whoever held it). */
  assign(id: string, assignee: Reviewer, by: Reviewer): Promise<QueueItem>;
  /** Checks that `reviewer` may decide the item now (holds its claim); returns it. */
  assertDecidable(id: string, reviewer: Reviewer): Promise<QueueItem>;
  markDecided(id: string, reviewer: Reviewer, decided: NonNullable<QueueItem["decided"]>): Promise<QueueItem>;
  /** Stores the approvals an item has collected so far and frees it for the next approver. */
  recordApproval(id: string, reviewer: Reviewer, approvals: readonly ReviewApproval[], needed: number): Promise<QueueItem>;
  /** Of the items `due` (ids the index finds past their window), counts a breach for each still open and past it, releases its claim and opens a new window. */
  sweep(due: readonly string[]): Promise<QueueItem[]>;
  /** Deletes the items `ids` (the index's decided before the retention cut-off); returns how many. */
  forgetDecided(ids: readonly string[]): Promise<number>;
}

export const itemPrefix = "item";
const itemKey = (id: string) => `${itemPrefix}.${id}`;
const maxCasAttempts = 8;

export const reviewRoles = ["reviewer", "approver"] as const;

export function mayReview(reviewer: Reviewer): boolean {
  return reviewer.roles.some((r) => (reviewRoles as readonly string[]).includes(r));
}

export function canTake(item: QueueItem, reviewer: Reviewer): boolean {
  return item.requiresApproval ? reviewer.roles.includes("approver") : mayReview(reviewer);
}

export const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What the queue is ordered by. */
export interface PriorityKey {
  readonly id: string;
  readonly requiresApproval: boolean;
  readonly requestedAt: string;
}

/** Approval-required first, then the oldest request; the id breaks ties so no two items compare equal. */
export function inPriorityOrder(a: PriorityKey, b: PriorityKey): number {
  if (a.requiresApproval !== b.requiresApproval) return a.requiresApproval ? -1 : 1;
  // Plain code-unit order: ISO times and hex ids sort right, and a sort of 50,000 entries cannot afford localeCompare.
  return compareStrings(a.requestedAt, b.requestedAt) || compareStrings(a.id, b.id);
}

const priorityKey = (item: QueueItem): PriorityKey => ({ id: item.id, requiresApproval: item.requiresApproval, requestedAt: item.request.requestedAt });

export function byPriority(a: QueueItem, b: QueueItem): number {
  return inPriorityOrder(priorityKey(a), priorityKey(b));
}

/**
 * The review queue as items in the agent's durable state store. Every change is a compare-and-set on the
 * item's revision, so two reviewers (or two replicas) racing for one item cannot both win: the loser re-reads
 * and gets the rule that now applies (already claimed, already decided).
 */
export function createQueue(state: StateStore, opts: QueueOptions): Queue {
  const now = opts.now ?? Date.now;
  const iso = (ms: number) => new Date(ms).toISOString();
  const noted = (item: QueueItem, by: string, what: HistoryEntry["what"], detail?: string): readonly HistoryEntry[] => [
    ...(item.history ?? []),
    { at: iso(now()), by, what, ...(detail ? { detail } : {}) },
  ];

  async function load(id: string): Promise<{ item: QueueItem; revision: number }> {
    const entry = await state.get<QueueItem>(itemKey(id));
    if (!entry) throw new ReviewError("E_NOT_FOUND", `no review item ${id}`);
    return { item: entry.value, revision: entry.revision };
  }

  const mutate = async (id: string, apply: (item: QueueItem) => QueueItem | null) => (await change(id, apply)).item;

  /** Re-reads and re-applies `apply` until its compare-and-set wins; `apply` throws when the rule forbids the change. */
  async function change(id: string, apply: (item: QueueItem) => QueueItem | null): Promise<{ item: QueueItem; changed: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const { item, revision } = await load(id);
      const next = apply(item);
      if (next === null) return { item, changed: false };
      try {
        await state.update(itemKey(id), next, revision);
        return { item: next, changed: true };
      } catch (err) {
        if (!isConflict(err) || attempt + 1 >= maxCasAttempts) throw err;
      }
    }
  }

  async function forgetDecided(ids: readonly string[]): Promise<number> {
    await Promise.all(ids.map((id) => state.delete(itemKey(id))));
    return ids.length;
  }

  const mustBeOpen = (item: QueueItem) => {
    if (item.status === "decided") throw new ReviewError("E_CONFLICT", `item ${item.id} was already decided by ${item.decided?.reviewer}`);
  };
  const mustBeAllowed = (item: QueueItem, reviewer: Reviewer) => {
    if (!canTake(item, reviewer))
      throw new ReviewError(
        "E_FORBIDDEN",
        item.requiresApproval ? `item ${item.id} needs the approver role (policy requires approval)` : `${reviewer.id} has no review role`,
      );
  };

  return {
    async intake(request) {
      const at = now();
      const item: QueueItem = {
        id: request.envelopeId,
        flow: request.flow,
        request,
        requiresApproval: request.code === "approval_required",
        status: "pending",
        receivedAt: iso(at),
        dueAt: iso(Date.parse(request.requestedAt) + opts.slaMs),
        breaches: 0,
        claim: null,
        decided: null,
        search: searchableText(request),
      };
      try {
        await state.create(itemKey(item.id), item);
        return { created: true, item };
      } catch (err) {
        if (!isConflict(err)) throw err;
        return { created: false, item: (await load(item.id)).item };
      }
    },

    forgetDecided,

    async get(id) {
      return (await state.get<QueueItem>(itemKey(id)))?.value;
    },

    claim(id, reviewer) {
      return mutate(id, (item) => {
        mustBeOpen(item);
        mustBeAllowed(item, reviewer);
        if (item.claim?.reviewer === reviewer.id) return null;
        if (item.claim) throw new ReviewError("E_CONFLICT", `item ${id} is claimed by ${item.claim.reviewer}`);
        return { ...item, status: "claimed", claim: { reviewer: reviewer.id, at: iso(now()) }, history: noted(item, reviewer.id, "claimed") };
      });
    },

    release(id, reviewer) {
      return mutate(id, (item) => {
        mustBeOpen(item);
        if (item.claim?.reviewer !== reviewer.id) throw new ReviewError("E_CONFLICT", `item ${id} is not claimed by ${reviewer.id}`);
        return { ...item, status: "pending", claim: null, history: noted(item, reviewer.id, "released") };
      });
    },

    assign(id, assignee, by) {
      if (!by.roles.includes("approver")) return Promise.reject(new ReviewError("E_FORBIDDEN", `${by.id} may not assign items (approver role)`));
      return mutate(id, (item) => {
        mustBeOpen(item);
        mustBeAllowed(item, assignee);
        if (item.claim?.reviewer === assignee.id) return null;
        return {
          ...item,
          status: "claimed",
          claim: { reviewer: assignee.id, at: iso(now()), assignedBy: by.id },
          history: noted(item, by.id, "assigned", `to ${assignee.id}`),
        };
      });
    },

    async assertDecidable(id, reviewer) {
      const { item } = await load(id);
      mustBeOpen(item);
      mustBeAllowed(item, reviewer);
      if (item.claim?.reviewer !== reviewer.id)
        throw new ReviewError("E_CONFLICT", `claim item ${id} before deciding it${item.claim ? ` (claimed by ${item.claim.reviewer})` : ""}`);
      return item;
    },

    markDecided(id, reviewer, decided) {
      return mutate(id, (item) => {
        if (item.status === "decided") return null;
        if (item.claim?.reviewer !== reviewer.id) throw new ReviewError("E_CONFLICT", `item ${id} is not claimed by ${reviewer.id}`);
        return { ...item, status: "decided", decided, history: noted(item, reviewer.id, "decided", decided.decision) };
      });
    },

    recordApproval(id, reviewer, approvals, needed) {
      return mutate(id, (item) => {
        mustBeOpen(item);
        if (item.claim?.reviewer !== reviewer.id) throw new ReviewError("E_CONFLICT", `item ${id} is not claimed by ${reviewer.id}`);
        const mine = approvals.at(-1);
        const what = mine?.decision === "correct" ? "corrected" : "approved";
        return { ...item, status: "pending", claim: null, approvals, approversNeeded: needed, history: noted(item, reviewer.id, what, `${approvals.length} approval(s) so far`) };
      });
    },

    async sweep(due) {
      const t = now();
      const breached: QueueItem[] = [];
      for (const id of due) {
        try {
          const { item: after, changed } = await change(id, (current) =>
            current.status === "decided" || Date.parse(current.dueAt) > t
              ? null
              : {
                  ...current,
                  status: "pending",
                  claim: null,
                  breaches: current.breaches + 1,
                  dueAt: iso(t + opts.slaMs),
                  history: noted(current, "sla", "sla_breach", current.claim ? `claim of ${current.claim.reviewer} released` : undefined),
                },
          );
          // A replica that lost the race sees the new window and changes nothing: count only what this one did.
          if (changed) breached.push(after);
        } catch (err) {
          if (!(err instanceof ReviewError)) throw err;
        }
      }
      return breached;
    },
  };
}
