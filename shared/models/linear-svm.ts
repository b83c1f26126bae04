import { mulberry32 } from "../prng/index.js";
import type { SparseVector } from "./features.js";
import type { SoftmaxWeights } from "./softmax-regression.js";

/**
 * One-vs-rest linear SVM (squared hinge, L2) solved in the dual by coordinate descent with shrinking
 * (Hsieh et al. 2008, liblinear's default solver). It converges to a set tolerance in a few passes, where a
 * stochastic primal solver stops wherever its epochs run out, and its margins err on other rows than
 * logistic regression's probabilities, so the two complement each other.
 */
export interface SvmOptions {
  /** Cost of a margin violation (liblinear's C): higher fits the training rows more tightly. */
  readonly c: number;
  /** Stop when the projected gradient's spread falls under this (liblinear's eps). */
  readonly tolerance: number;
  readonly maxPasses: number;
  readonly seed: number;
}

export const defaultSvmOptions: SvmOptions = { c: 1, tolerance: 0.1, maxPasses: 1000, seed: 77 };

/** The bias is learned as the weight of a constant feature of this value, as liblinear does. */
const biasFeature = 1;

function trainBinary(xs: readonly SparseVector[], positive: Uint8Array, features: number, opts: SvmOptions, seed: number): { w: Float64Array; b: number } {
  const N = xs.length;
  const w = new Float64Array(features);
  let b = 0;
  const alpha = new Float64Array(N);
  const diag = 0.5 / opts.c;
  const qd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = biasFeature * biasFeature + diag;
    for (const v of xs[n]!.values) s += v * v;
    qd[n] = s;
  }
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const rand = mulberry32(seed);
  let active = N;
  let maxOld = Infinity;
  for (let pass = 0; pass < opts.maxPasses; pass++) {
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (let i = 0; i < active; i++) {
      const j = i + Math.floor(rand() * (active - i));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let s = 0; s < active; s++) {
      const n = order[s]!;
      const { indices, values } = xs[n]!;
      const y = positive[n] ? 1 : -1;
      let wx = b * biasFeature;
      for (let i = 0; i < indices.length; i++) wx += w[indices[i]!]! * values[i]!;
      const g = y * wx - 1 + diag * alpha[n]!;
      let pg = g;
      if (alpha[n] === 0) {
        // Shrinking: a row at its bound whose gradient points outward stays there; skip it until the final check.
        if (g > maxOld) {
          active--;
          order[s] = order[active]!;
          order[active] = n;
          s--;
          continue;
        }
        pg = Math.min(g, 0);
      }
      pgMax = Math.max(pgMax, pg);
      pgMin = Math.min(pgMin, pg);
      if (Math.abs(pg) > 1e-12) {
        const old = alpha[n]!;
        alpha[n] = Math.max(old - g / qd[n]!, 0);
        const d = (alpha[n]! - old) * y;
        for (let i = 0; i < indices.length; i++) w[indices[i]!]! += d * values[i]!;
        b += d * biasFeature;
      }
    }
    if (pgMax - pgMin <= opts.tolerance) {
      if (active === N) break;
      // Converged on the shrunk set: one more pass over every row confirms it (or undoes a wrong shrink).
      active = N;
      maxOld = Infinity;
      continue;
    }
    maxOld = pgMax <= 0 ? Infinity : pgMax;
  }
  return { w, b: b * biasFeature };
}

/** Class k's margin for x is `bias[k] + Σ w[j·K + k]·x[j]`, the same layout as softmax regression's weights. */
export function trainOneVsRestSvm(
  xs: readonly SparseVector[],
  ys: readonly number[],
  classes: number,
  features: number,
  opts: SvmOptions = defaultSvmOptions,
): SoftmaxWeights {
  const w = new Float32Array(features * classes);
  const bias = new Float32Array(classes);
  const positive = new Uint8Array(xs.length);
  for (let k = 0; k < classes; k++) {
    for (let n = 0; n < ys.length; n++) positive[n] = ys[n] === k ? 1 : 0;
    const one = trainBinary(xs, positive, features, opts, opts.seed + k);
    for (let j = 0; j < features; j++) w[j * classes + k] = one.w[j]!;
    bias[k] = one.b;
  }
  return { classes, features, w, bias };
}
