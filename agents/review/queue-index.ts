import type { StateStore } from "../../shared/runtime/index.js";
import { compareStrings, inPriorityOrder, itemPrefix, type PriorityKey, type QueueItem } from "./queue.js";
import { searchableText } from "./search-text.js";
import { SortedList } from "./sorted-list.js";

/** What the index keeps of an open item: enough to filter, order and count without reading the item. */
export interface IndexEntry extends PriorityKey {
  readonly flow: string;
  readonly code: string;
  /** End of the SLA window, ms. */
  readonly dueAtMs: number;
  readonly requestedAtMs: number;
  readonly claimedBy: string | null;
  /** Lower-cased searchable fields (no personal data: those stay sealed in the item). */
  readonly search: string;
}

interface Decided {
  readonly id: string;
  readonly decidedAtMs: number;
}

export interface FlowDepth {
  readonly open: number;
  /** Request time (ms) of the oldest open item. */
  readonly oldestRequestedAtMs: number;
}

export interface QueueIndex {
  /** Open items as the index last saw them (a page's rows need no read of the store). */
  items(ids: readonly string[]): QueueItem[];
  /**
   * Open items of `flow` and with reason `code` (when given) for which `matches` holds (when given), in priority
   * order: how many, and the window [offset, offset + limit).
   */
  select(filter: { readonly flow?: string; readonly code?: string; readonly matches?: (e: IndexEntry) => boolean }, offset: number, limit: number): { total: number; entries: IndexEntry[] };
  /** Open items whose SLA window ended by `now` (ms), earliest first. */
  dueBy(now: number): string[];
  /** Items decided before `before` (ms). */
  decidedBefore(before: number): string[];
  depth(): ReadonlyMap<string, FlowDepth>;
  /** Values the filters can take in the open queue. */
  facets(): { flows: string[]; reasons: string[]; assignees: string[] };
  stop(): void;
}

const byDue = (a: IndexEntry, b: IndexEntry) => a.dueAtMs - b.dueAtMs || compareStrings(a.id, b.id);
const byRequested = (a: IndexEntry, b: IndexEntry) => a.requestedAtMs - b.requestedAtMs || compareStrings(a.id, b.id);
const byDecided = (a: Decided, b: Decided) => a.decidedAtMs - b.decidedAtMs || compareStrings(a.id, b.id);

function entryOf(item: QueueItem): IndexEntry {
  return {
    id: item.id,
    requiresApproval: item.requiresApproval,
    requestedAt: item.request.requestedAt,
    requestedAtMs: Date.parse(item.request.requestedAt),
    flow: item.flow,
    code: item.request.code,
    dueAtMs: Date.parse(item.dueAt),
    claimedBy: item.claim?.reviewer ?? null,
    // Items queued before the field existed get it derived here, from the same fields.
    search: item.search ?? searchableText(item.request),
  };
}

/** One ordered list per key (per flow, per reason): a filter on the key walks only its own items. */
class KeyedLists {
  private readonly byKey = new Map<string, SortedList<IndexEntry>>();
  private static readonly none = new SortedList<IndexEntry>(() => 0);

  constructor(
    private readonly key: (e: IndexEntry) => string,
    private readonly compare: (a: IndexEntry, b: IndexEntry) => number,
  ) {}

  of(key: string): SortedList<IndexEntry> {
    return this.byKey.get(key) ?? KeyedLists.none;
  }

  lists(): IterableIterator<[string, SortedList<IndexEntry>]> {
    return this.byKey.entries();
  }

  insert(e: IndexEntry): void {
    const k = this.key(e);
    let list = this.byKey.get(k);
    if (!list) this.byKey.set(k, (list = new SortedList(this.compare)));
    list.insert(e);
  }

  remove(e: IndexEntry): void {
    this.byKey.get(this.key(e))?.remove(e);
  }

  reset(entries: Iterable<IndexEntry>): void {
    const grouped = new Map<string, IndexEntry[]>();
    for (const e of entries) {
      const k = this.key(e);
      const list = grouped.get(k);
      if (list) list.push(e);
      else grouped.set(k, [e]);
    }
    this.byKey.clear();
    for (const [k, list] of grouped) {
      const sorted = new SortedList(this.compare);
      sorted.reset(list);
      this.byKey.set(k, sorted);
    }
  }
}

/** How many open items carry each value (a facet menu lists the values still present). */
class Tally {
  private readonly counts = new Map<string, number>();
  add(v: string | null, by: 1 | -1) {
    if (v === null) return;
    const n = (this.counts.get(v) ?? 0) + by;
    if (n > 0) this.counts.set(v, n);
    else this.counts.delete(v);
  }
  values(): string[] {
    return [...this.counts.keys()].sort();
  }
}

/**
 * The review queue of this replica, in memory and ordered: open items by priority, by SLA due time and per flow
 * by request time; decided items by decision time. It follows the state bucket's `item.*` keys through a watch,
 * so a claim or decision made on any replica (or by the intake handler) reaches every replica's listing without
 * a read of every item per request. Resolves once the items stored when it was called are indexed.
 * @example const index = await watchQueueIndex(svc.state); index.select({ flow: "ticket" }, 0, 25)
 */
export async function watchQueueIndex(state: StateStore, opts: { onChange?: (index: QueueIndex) => void } = {}): Promise<QueueIndex> {
  const open = new Map<string, IndexEntry>();
  // Kept as JSON text: a third of the memory of the parsed item, and a page parses only its own rows.
  const stored = new Map<string, string>();
  const decided = new Map<string, Decided>();
  const byPriority = new SortedList<IndexEntry>(inPriorityOrder);
  const due = new SortedList<IndexEntry>(byDue);
  const done = new SortedList<Decided>(byDecided);
  const perFlow = new KeyedLists((e) => e.flow, byRequested);
  // The flow and reason filters walk only their own items, in page order.
  const flowInOrder = new KeyedLists((e) => e.flow, inPriorityOrder);
  const reasonInOrder = new KeyedLists((e) => e.code, inPriorityOrder);
  const orders = [byPriority, due, perFlow, flowInOrder, reasonInOrder];
  const flows = new Tally();
  const reasons = new Tally();
  const assignees = new Tally();
  let loaded = false;

  const tally = (e: IndexEntry, by: 1 | -1) => {
    flows.add(e.flow, by);
    reasons.add(e.code, by);
    assignees.add(e.claimedBy, by);
  };

  function forget(id: string) {
    const was = open.get(id);
    if (was) {
      open.delete(id);
      stored.delete(id);
      tally(was, -1);
      if (loaded) for (const o of orders) o.remove(was);
    }
    const d = decided.get(id);
    if (d) {
      decided.delete(id);
      if (loaded) done.remove(d);
    }
  }

  function apply(id: string, item: QueueItem | undefined) {
    forget(id);
    if (!item) return;
    if (item.status === "decided") {
      const d = { id, decidedAtMs: Date.parse(item.decided?.at ?? item.receivedAt) };
      decided.set(id, d);
      if (loaded) done.insert(d);
      return;
    }
    const e = entryOf(item);
    open.set(id, e);
    stored.set(id, JSON.stringify(item));
    tally(e, 1);
    if (loaded) for (const o of orders) o.insert(e);
  }

  const watch = await state.watch<QueueItem>(itemPrefix, (change) => {
    // Changes arrive in revision order (an ordered consumer), so the last one applied is the item as it stands.
    apply(change.key.slice(itemPrefix.length + 1), change.value);
    if (loaded) opts.onChange?.(index);
  });

  // The stored items arrive one by one; ordering them once is cheaper than one sorted insert each.
  for (const o of orders) o.reset(open.values());
  done.reset(decided.values());
  loaded = true;

  const index: QueueIndex = {
    items: (ids) => ids.flatMap((id) => {
      const json = stored.get(id);
      return json === undefined ? [] : [JSON.parse(json) as QueueItem];
    }),
    select({ flow, code, matches }, offset, limit) {
      const narrowest = [flow === undefined ? byPriority : flowInOrder.of(flow), code === undefined ? byPriority : reasonInOrder.of(code)].sort((a, b) => a.size - b.size)[0]!;
      if (!matches) return { total: narrowest.size, entries: narrowest.slice(offset, offset + limit) };
      const entries: IndexEntry[] = [];
      let total = 0;
      for (const e of narrowest) {
        if (!matches(e)) continue;
        if (total >= offset && entries.length < limit) entries.push(e);
        total++;
      }
      return { total, entries };
    },
    dueBy: (now) => due.prefixWhile((e) => e.dueAtMs <= now).map((e) => e.id),
    decidedBefore: (before) => done.prefixWhile((d) => d.decidedAtMs < before).map((d) => d.id),
    depth() {
      const out = new Map<string, FlowDepth>();
      for (const [flow, list] of perFlow.lists()) if (list.size > 0) out.set(flow, { open: list.size, oldestRequestedAtMs: list.first()!.requestedAtMs });
      return out;
    },
    facets: () => ({ flows: flows.values(), reasons: reasons.values(), assignees: assignees.values() }),
    stop: () => watch.stop(),
  };
  return index;
}
