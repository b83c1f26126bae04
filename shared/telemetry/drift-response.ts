import type { MeshMetrics } from "./metrics.js";
import { PSI_ALERT_THRESHOLD, type DriftMonitor } from "./drift.js";

/**
 * Whether a flow's routing is tightened because its inputs drifted: it trips as soon as the input PSI or the
 * correction rate crosses its limit, and relaxes only after both stayed under their limits for a whole stable
 * window (a signal hovering at its limit does not flap the routing). The state is a runtime fact the policy
 * decides on (`drift.tightened`); the policy's obligation, not this module, says how much tighter.
 */
export interface DriftResponseOptions {
  readonly psiLimit?: number;
  readonly correctionRateLimit?: number;
  /** How long both signals must stay under their limits before a tightened flow relaxes. */
  readonly stableMs?: number;
  readonly now?: () => number;
  /** Told of every change, for the log and the audit. */
  readonly onChange?: (change: DriftChange) => void;
}

export interface DriftChange {
  readonly flow: string;
  readonly tightened: boolean;
  readonly psi: number | undefined;
  readonly correctionRate: number | undefined;
}

interface FlowState {
  tightened: boolean;
  /** When a signal was last over its limit. */
  lastOverAt: number;
}

/** @example const response = new DriftResponse(drift, metrics, { stableMs: 15 * 60_000 }); facts.drift = response.assess("ticket") */
export class DriftResponse {
  private readonly flows = new Map<string, FlowState>();
  private readonly psiLimit: number;
  private readonly correctionRateLimit: number;
  private readonly stableMs: number;
  private readonly now: () => number;

  constructor(
    private readonly monitor: Pick<DriftMonitor, "psi" | "correctionRate">,
    private readonly metrics: Pick<MeshMetrics, "mesh_routing_tightened">,
    private readonly opts: DriftResponseOptions = {},
  ) {
    this.psiLimit = opts.psiLimit ?? PSI_ALERT_THRESHOLD;
    this.correctionRateLimit = opts.correctionRateLimit ?? 0.1;
    this.stableMs = opts.stableMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Reads the flow's signals now and answers whether its routing is tightened. */
  assess(flow: string): { readonly tightened: boolean } {
    const psi = this.monitor.psi(flow, "input_length");
    const correctionRate = this.monitor.correctionRate(flow);
    const over = (psi !== undefined && psi > this.psiLimit) || (correctionRate !== undefined && correctionRate > this.correctionRateLimit);
    const now = this.now();
    let state = this.flows.get(flow);
    const first = !state;
    if (!state) this.flows.set(flow, (state = { tightened: false, lastOverAt: 0 }));
    const was = state.tightened;
    if (over) {
      state.lastOverAt = now;
      state.tightened = true;
    } else if (state.tightened && now - state.lastOverAt >= this.stableMs) {
      state.tightened = false;
    }
    if (state.tightened !== was || first) this.metrics.mesh_routing_tightened.set({ flow }, state.tightened ? 1 : 0);
    if (state.tightened !== was) this.opts.onChange?.({ flow, tightened: state.tightened, psi, correctionRate });
    return { tightened: state.tightened };
  }
}
