/**
 * An array kept in order by `compare`, which must tell any two distinct values apart (a tie-breaking id): insert
 * and remove find their place by binary search, so a reader can cut a page without sorting.
 */
export class SortedList<T> {
  private items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** Replaces the contents with `values`, sorted once (a bulk load costs one sort, not one insert each). */
  reset(values: Iterable<T>): void {
    this.items = [...values].sort(this.compare);
  }

  /** The first position whose value is not before `probe`. */
  private lowerBound(probe: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid]!, probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(value: T): void {
    this.items.splice(this.lowerBound(value), 0, value);
  }

  remove(value: T): void {
    const at = this.lowerBound(value);
    if (at < this.items.length && this.compare(this.items[at]!, value) === 0) this.items.splice(at, 1);
  }

  first(): T | undefined {
    return this.items[0];
  }

  slice(start: number, end: number): T[] {
    return this.items.slice(start, end);
  }

  /** Values from the start while `keep` holds (a prefix: everything due by now, decided before a cut-off). */
  prefixWhile(keep: (value: T) => boolean): T[] {
    const out: T[] = [];
    for (const v of this.items) {
      if (!keep(v)) break;
      out.push(v);
    }
    return out;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
