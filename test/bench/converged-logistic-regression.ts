/**
 * The bench's baseline: plain multinomial logistic regression on the shipped model's features, minimised to
 * convergence by full-batch L-BFGS (what scikit-learn's default solver does), so the shipped model is compared
 * with the best a single linear model of this kind reaches, not with a stochastic run that stopped early.
 * Bench-only: at ~100 full passes it is too slow for the trainer's retraining.
 */
import type { SparseVector } from "../../shared/models/features.js";
import type { SoftmaxWeights } from "../../shared/models/softmax-regression.js";

export interface ConvergedOptions {
  /** Mean-loss L2 strength; 1 / (C · rows) matches scikit-learn's C. */
  readonly l2: number;
  readonly maxIterations: number;
  /** Stop when the loss improves by less than this (relative) over one iteration. */
  readonly tolerance: number;
  readonly memory: number;
}

/** Mean cross-entropy + l2/2·|W|² and its gradient; parameters are W (feature-major) then the biases. */
function lossAndGradient(xs: readonly SparseVector[], ys: readonly number[], K: number, F: number, l2: number, theta: Float64Array, grad: Float64Array): number {
  grad.fill(0);
  const biasAt = F * K;
  const z = new Float64Array(K);
  let loss = 0;
  for (let n = 0; n < xs.length; n++) {
    const { indices, values } = xs[n]!;
    for (let k = 0; k < K; k++) z[k] = theta[biasAt + k]!;
    for (let i = 0; i < indices.length; i++) {
      const base = indices[i]! * K;
      const v = values[i]!;
      for (let k = 0; k < K; k++) z[k]! += v * theta[base + k]!;
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k]! - max);
    const y = ys[n]!;
    loss += Math.log(sum) - Math.log(z[y]!);
    for (let k = 0; k < K; k++) z[k]! /= sum;
    z[y]! -= 1;
    for (let k = 0; k < K; k++) grad[biasAt + k]! += z[k]!;
    for (let i = 0; i < indices.length; i++) {
      const base = indices[i]! * K;
      const v = values[i]!;
      for (let k = 0; k < K; k++) grad[base + k]! += v * z[k]!;
    }
  }
  let norm = 0;
  for (let j = 0; j < biasAt; j++) {
    grad[j] = grad[j]! / xs.length + l2 * theta[j]!;
    norm += theta[j]! * theta[j]!;
  }
  for (let k = 0; k < K; k++) grad[biasAt + k]! /= xs.length;
  return loss / xs.length + 0.5 * l2 * norm;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export function trainConvergedLogisticRegression(
  xs: readonly SparseVector[],
  ys: readonly number[],
  classes: number,
  features: number,
  opts: ConvergedOptions,
): SoftmaxWeights & { iterations: number } {
  const dim = features * classes + classes;
  const f = (t: Float64Array, g: Float64Array) => lossAndGradient(xs, ys, classes, features, opts.l2, t, g);
  const x = new Float64Array(dim);
  const g = new Float64Array(dim);
  const d = new Float64Array(dim);
  const xNext = new Float64Array(dim);
  const gNext = new Float64Array(dim);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(opts.memory);
  let fx = f(x, g);
  let it = 0;
  for (; it < opts.maxIterations; it++) {
    // Two-loop recursion: d = H·g with H the L-BFGS inverse-Hessian estimate.
    d.set(g);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = rho[i]! * dot(S[i]!, d);
      for (let j = 0; j < dim; j++) d[j]! -= alpha[i]! * Y[i]![j]!;
    }
    const scale = S.length ? dot(S.at(-1)!, Y.at(-1)!) / dot(Y.at(-1)!, Y.at(-1)!) : 1 / Math.sqrt(dot(g, g));
    for (let j = 0; j < dim; j++) d[j]! *= scale;
    for (let i = 0; i < S.length; i++) {
      const c = alpha[i]! - rho[i]! * dot(Y[i]!, d);
      for (let j = 0; j < dim; j++) d[j]! += c * S[i]![j]!;
    }
    const slope = dot(g, d);
    let step = 1;
    let fNext = fx;
    for (let tries = 0; tries < 30; tries++) {
      for (let j = 0; j < dim; j++) xNext[j] = x[j]! - step * d[j]!;
      fNext = f(xNext, gNext);
      if (fNext <= fx - 1e-4 * step * slope) break;
      step /= 2;
    }
    const s = S.length === opts.memory ? S.shift()! : new Float64Array(dim);
    const y = Y.length === opts.memory ? Y.shift()! : new Float64Array(dim);
    if (rho.length === opts.memory) rho.shift();
    for (let j = 0; j < dim; j++) {
      s[j] = xNext[j]! - x[j]!;
      y[j] = gNext[j]! - g[j]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    x.set(xNext);
    g.set(gNext);
    const improved = (fx - fNext) / Math.max(1e-12, Math.abs(fx));
    fx = fNext;
    if (improved < opts.tolerance) break;
  }
  return {
    classes,
    features,
    w: Float32Array.from(x.subarray(0, features * classes)),
    bias: Float32Array.from(x.subarray(features * classes)),
    iterations: it + 1,
  };
}
