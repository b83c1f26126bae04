import { mulberry32 } from "../prng/index.js";
import type { SparseVector } from "./features.js";

/**
 * Multinomial logistic regression on sparse inputs, trained by AdaGrad with per-feature L2.
 * Weights are feature-major (`w[j * classes + k]`) so one input feature's class weights sit together in memory.
 */
export interface SoftmaxWeights {
  readonly classes: number;
  readonly features: number;
  readonly w: Float32Array;
  readonly bias: Float32Array;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly learningRate: number;
  readonly l2: number;
  readonly seed: number;
}

export const defaultTrainOptions: TrainOptions = { epochs: 10, learningRate: 0.1, l2: 1e-6, seed: 77 };

export function logits(model: SoftmaxWeights, x: SparseVector, out = new Float64Array(model.classes)): Float64Array {
  const K = model.classes;
  for (let k = 0; k < K; k++) out[k] = model.bias[k]!;
  const { indices, values } = x;
  const w = model.w;
  for (let i = 0; i < indices.length; i++) {
    const base = indices[i]! * K;
    const v = values[i]!;
    for (let k = 0; k < K; k++) out[k]! += v * w[base + k]!;
  }
  return out;
}

/** In-place softmax of `z / temperature`. */
export function softmax(z: Float64Array, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < z.length; k++) if (z[k]! > max) max = z[k]!;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp((z[k]! - max) / temperature);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < z.length; k++) z[k]! /= sum;
  return z;
}

export function trainSoftmax(
  xs: readonly SparseVector[],
  ys: readonly number[],
  classes: number,
  features: number,
  opts: TrainOptions = defaultTrainOptions,
): SoftmaxWeights {
  const K = classes;
  const w = new Float32Array(features * K);
  const bias = new Float32Array(K);
  const gw = new Float32Array(features * K);
  const gb = new Float32Array(K);
  const model: SoftmaxWeights = { classes, features, w, bias };
  const order = xs.map((_, i) => i);
  const rand = mulberry32(opts.seed);
  const p = new Float64Array(K);
  const eps = 1e-8;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const x = xs[n]!;
      softmax(logits(model, x, p));
      p[ys[n]!]! -= 1;
      for (let k = 0; k < K; k++) {
        const g = p[k]!;
        gb[k]! += g * g;
        bias[k]! -= (opts.learningRate * g) / Math.sqrt(gb[k]! + eps);
      }
      for (let i = 0; i < x.indices.length; i++) {
        const base = x.indices[i]! * K;
        const v = x.values[i]!;
        for (let k = 0; k < K; k++) {
          const idx = base + k;
          const g = p[k]! * v + opts.l2 * w[idx]!;
          gw[idx]! += g * g;
          w[idx]! -= (opts.learningRate * g) / Math.sqrt(gw[idx]! + eps);
        }
      }
    }
  }
  return model;
}
