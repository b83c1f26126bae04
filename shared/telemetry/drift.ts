import type { MeshMetrics } from "./metrics.js";

/**
 * Drift: how far what the mesh sees now has moved from what it saw when its models were last judged good.
 * Two signals, both exported as gauges: the population stability index (PSI) of a feature's distribution
 * against a reference window, and the share of reviewed answers a human corrected over a sliding window.
 */

/** Alert threshold used by deploy/prometheus/rules: above it the shift is material (industry convention). */
export const PSI_ALERT_THRESHOLD = 0.25;

/**
 * Bin edges per feature, ascending; `n` edges make `n + 1` bins (the outer two are open-ended).
 * Fixed, not learnt from the data, so the reference and the current window are always comparable.
 */
export const defaultFeatureEdges = {
  confidence: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  input_length: [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
} as const satisfies Record<string, readonly number[]>;

/** Index of the bin `value` falls in: bin i holds edges[i-1] <= value < edges[i]. */
export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value < edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function histogram(edges: readonly number[], values: Iterable<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binIndex(edges, v)]! += 1;
  return counts;
}

/**
 * PSI = Σ (cur% − ref%) · ln(cur% / ref%). Empty bins are floored at `epsilon` so one empty bin does not
 * make the index infinite; both histograms must have the same bins.
 */
export function psi(reference: readonly number[], current: readonly number[], epsilon = 1e-4): number {
  if (reference.length !== current.length) {
    throw new RangeError(`psi: bin counts differ (reference ${reference.length}, current ${current.length})`);
  }
  const refTotal = sum(reference);
  const curTotal = sum(current);
  if (refTotal === 0 || curTotal === 0) return 0;
  let index = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i]! / refTotal, epsilon);
    const c = Math.max(current[i]! / curTotal, epsilon);
    index += (c - r) * Math.log(c / r);
  }
  return index;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/**
 * The last `size` observations of one feature, binned. Counts are kept incrementally so an observation
 * costs O(log bins) whatever the window size.
 */
export class BinnedWindow {
  private readonly ring: number[] = [];
  private next = 0;
  readonly counts: number[];

  constructor(
    readonly edges: readonly number[],
    readonly size: number,
  ) {
    this.counts = new Array<number>(edges.length + 1).fill(0);
  }

  get length(): number {
    return this.ring.length;
  }

  get full(): boolean {
    return this.ring.length === this.size;
  }

  add(value: number): void {
    const bin = binIndex(this.edges, value);
    if (this.ring.length < this.size) {
      this.ring.push(bin);
    } else {
      this.counts[this.ring[this.next]!]! -= 1;
      this.ring[this.next] = bin;
      this.next = (this.next + 1) % this.size;
    }
    this.counts[bin]! += 1;
  }
}

/**
 * Share of `true` outcomes over the last `windowMs`, in `slots` time slots so memory stays bounded
 * under any traffic. The window slides one slot at a time.
 */
export class SlidingRatio {
  private readonly hits: number[];
  private readonly totals: number[];
  private readonly slotIds: number[];
  private readonly slotMs: number;

  constructor(
    readonly windowMs: number,
    readonly slots = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.slotMs = windowMs / slots;
    this.hits = new Array<number>(slots).fill(0);
    this.totals = new Array<number>(slots).fill(0);
    this.slotIds = new Array<number>(slots).fill(-1);
  }

  record(hit: boolean): void {
    const id = Math.floor(this.now() / this.slotMs);
    const i = id % this.slots;
    if (this.slotIds[i] !== id) {
      this.slotIds[i] = id;
      this.hits[i] = 0;
      this.totals[i] = 0;
    }
    this.totals[i]! += 1;
    if (hit) this.hits[i]! += 1;
  }

  /** Hits and total in the window; `ratio` is undefined while nothing was recorded. */
  read(): { hits: number; total: number; ratio: number | undefined } {
    const oldest = Math.floor(this.now() / this.slotMs) - this.slots + 1;
    let hits = 0;
    let total = 0;
    for (let i = 0; i < this.slots; i++) {
      if (this.slotIds[i]! >= oldest) {
        hits += this.hits[i]!;
        total += this.totals[i]!;
      }
    }
    return { hits, total, ratio: total === 0 ? undefined : hits / total };
  }
}

export interface DriftMonitorOptions {
  /** Bin edges per feature name; features not listed here are refused, which keeps the label bounded. */
  edges?: Record<string, readonly number[]>;
  /** Observations that form the reference window when none is given with `setReference`. */
  referenceSize?: number;
  /** Observations in the current (sliding) window. */
  windowSize?: number;
  /** Observations the current window needs before its PSI is published; a few values say nothing. */
  minSamples?: number;
  correctionWindowMs?: number;
  now?: () => number;
}

interface FeatureState {
  reference: BinnedWindow;
  current: BinnedWindow;
  frozen: boolean;
}

/**
 * Watches features per flow and keeps `mesh_drift_psi{flow,feature}` and `mesh_correction_rate{flow}`
 * current. The first `referenceSize` observations of a feature become its reference unless one is set.
 *
 * @example
 * const drift = new DriftMonitor(metrics);
 * drift.observe("ticket", "confidence", result.confidence);
 * drift.recordReview("ticket", decision.corrected);
 */
export class DriftMonitor {
  private readonly edges: Record<string, readonly number[]>;
  private readonly referenceSize: number;
  private readonly windowSize: number;
  private readonly minSamples: number;
  private readonly correctionWindowMs: number;
  private readonly now: () => number;
  private readonly features = new Map<string, FeatureState>();
  private readonly corrections = new Map<string, SlidingRatio>();

  constructor(
    private readonly metrics: Pick<MeshMetrics, "mesh_drift_psi" | "mesh_correction_rate">,
    opts: DriftMonitorOptions = {},
  ) {
    this.edges = opts.edges ?? defaultFeatureEdges;
    this.referenceSize = opts.referenceSize ?? 1000;
    this.windowSize = opts.windowSize ?? 500;
    this.minSamples = opts.minSamples ?? Math.min(100, this.windowSize);
    this.correctionWindowMs = opts.correctionWindowMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
  }

  /** Fixes the reference from a stored sample (e.g. the window the champion model was evaluated on). */
  setReference(flow: string, feature: string, values: Iterable<number>): void {
    const state = this.state(flow, feature);
    const reference = new BinnedWindow(state.reference.edges, Number.MAX_SAFE_INTEGER);
    for (const v of values) reference.add(v);
    state.reference = reference;
    state.frozen = true;
    this.publish(flow, feature, state);
  }

  observe(flow: string, feature: string, value: number): void {
    if (!Number.isFinite(value)) return;
    const state = this.state(flow, feature);
    if (!state.frozen) {
      state.reference.add(value);
      if (state.reference.full) state.frozen = true;
      return;
    }
    state.current.add(value);
    this.publish(flow, feature, state);
  }

  /** PSI of the current window against the reference; undefined until there is enough of both. */
  psi(flow: string, feature: string): number | undefined {
    const state = this.features.get(key(flow, feature));
    if (!state || !state.frozen || state.current.length < this.minSamples) return undefined;
    return psi(state.reference.counts, state.current.counts);
  }

  recordReview(flow: string, corrected: boolean): void {
    let ratio = this.corrections.get(flow);
    if (!ratio) {
      ratio = new SlidingRatio(this.correctionWindowMs, 60, this.now);
      this.corrections.set(flow, ratio);
    }
    ratio.record(corrected);
    this.publishCorrections(flow, ratio);
  }

  /**
   * Re-reads every correction window, so the gauge slides even when no review arrives; a flow with no
   * review left in its window loses its series rather than reporting a rate of 0 it never measured.
   * Call it on a timer or before a scrape.
   */
  refresh(): void {
    for (const [flow, ratio] of this.corrections) this.publishCorrections(flow, ratio);
  }

  correctionRate(flow: string): number | undefined {
    return this.corrections.get(flow)?.read().ratio;
  }

  private publishCorrections(flow: string, ratio: SlidingRatio): void {
    const { ratio: value } = ratio.read();
    if (value === undefined) this.metrics.mesh_correction_rate.remove({ flow });
    else this.metrics.mesh_correction_rate.set({ flow }, value);
  }

  private state(flow: string, feature: string): FeatureState {
    const k = key(flow, feature);
    let state = this.features.get(k);
    if (!state) {
      const edges = this.edges[feature];
      if (!edges) {
        throw new RangeError(`drift: unknown feature "${feature}" (known: ${Object.keys(this.edges).join(", ")})`);
      }
      state = {
        reference: new BinnedWindow(edges, this.referenceSize),
        current: new BinnedWindow(edges, this.windowSize),
        frozen: false,
      };
      this.features.set(k, state);
    }
    return state;
  }

  private publish(flow: string, feature: string, state: FeatureState): void {
    if (state.current.length < this.minSamples) return;
    this.metrics.mesh_drift_psi.set({ flow, feature }, psi(state.reference.counts, state.current.counts));
  }
}

function key(flow: string, feature: string): string {
  return `${flow}\u0000${feature}`;
}
