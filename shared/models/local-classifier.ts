import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { SchemaError, describeIssues } from "../errors/index.js";
import { buildVocabulary, createVectorizer, defaultFeatureOptions, type FeatureOptions, type Vocabulary } from "./features.js";
import { defaultSvmOptions, trainOneVsRestSvm, type SvmOptions } from "./linear-svm.js";
import { defaultTrainOptions, logits, softmax, trainSoftmax, type SoftmaxWeights, type TrainOptions } from "./softmax-regression.js";

/**
 * The small local tier: TF-IDF features scored by the sum of a multinomial logistic regression and a weighted
 * one-vs-rest linear SVM (both linear, so the ensemble is one weight matrix: no extra inference cost), with a
 * temperature (fitted on held-out scores) that turns scores into calibrated probabilities. It ships as a
 * versioned, gzipped JSON artifact so no process trains at start-up.
 */
export interface Prediction {
  readonly label: string;
  readonly confidence: number;
  /** The runner-up, useful to a reviewer. */
  readonly alternatives: readonly { label: string; confidence: number }[];
}

export interface ThresholdInfo {
  readonly target: number;
  readonly value: number;
  /** Coverage and precision where the threshold was chosen: out-of-fold rows, never eval rows (for the shipped model, estimated along the learning curve: extrapolateThreshold). */
  readonly coverage: number;
  readonly precision: number;
  readonly rows: number;
}

export interface LocalClassifier {
  readonly name: string;
  /**
   * Content hash of everything that changes a decision (weights, vocabulary, temperature, threshold), so caches
   * keyed by it never serve stale answers and an audit record's version names exactly what decided.
   */
  readonly version: string;
  readonly labels: readonly string[];
  readonly temperature: number;
  readonly threshold: ThresholdInfo | null;
  predict(text: string): Prediction;
  /** Uncalibrated scores, used to fit the temperature. */
  logits(text: string): Float64Array;
  withCalibration(temperature: number, threshold: ThresholdInfo | null): LocalClassifier;
  toArtifact(): LocalClassifierArtifact;
}

export interface TrainLocalOptions {
  readonly name: string;
  readonly labels?: readonly string[];
  readonly features?: FeatureOptions;
  readonly train?: TrainOptions;
  readonly svm?: SvmOptions;
  /** How much the SVM's margins add to the regression's logits; 0 trains the regression alone. */
  readonly svmWeight?: number;
  readonly minDf?: number;
}

/** The trainer's weight (best out-of-fold accuracy on the training rows); the shipped build picks its own by out-of-fold coverage and records it in the artifact. */
export const defaultSvmWeight = 4;

export const artifactFormat = "meshwork.local-classifier" as const;

const artifactSchema = z.object({
  format: z.literal(artifactFormat),
  /** 1: the version hashed weights and vocabulary only; 2: also temperature and threshold. */
  formatVersion: z.union([z.literal(1), z.literal(2)]),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  labels: z.array(z.string().min(1)).min(2),
  features: z.object({ charMin: z.number().int().min(1), charMax: z.number().int().min(1), wordBigrams: z.boolean() }),
  terms: z.array(z.string()),
  idf: z.string(),
  weightScale: z.string(),
  weights: z.string(),
  bias: z.array(z.number()),
  temperature: z.number().positive(),
  threshold: z
    .object({ target: z.number(), value: z.number(), coverage: z.number(), precision: z.number(), rows: z.number().int() })
    .nullable(),
  training: z.record(z.string(), z.unknown()),
});
export type LocalClassifierArtifact = z.infer<typeof artifactSchema>;

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
function fromB64<T>(s: string, Ctor: new (buf: ArrayBuffer) => T): T {
  const buf = Buffer.from(s, "base64");
  return new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

interface Parts {
  name: string;
  labels: readonly string[];
  features: FeatureOptions;
  terms: readonly string[];
  vocab: Vocabulary;
  scale: Float32Array;
  q: Int8Array;
  bias: Float32Array;
  temperature: number;
  threshold: ThresholdInfo | null;
  training: Record<string, unknown>;
  createdAt: string;
  formatVersion: 1 | 2;
}

/** Weights are stored as int8 with one scale per input feature: a quarter of the size, no measurable accuracy loss. */
function quantize(model: SoftmaxWeights): { scale: Float32Array; q: Int8Array } {
  const K = model.classes;
  const scale = new Float32Array(model.features);
  const q = new Int8Array(model.w.length);
  for (let j = 0; j < model.features; j++) {
    let max = 0;
    for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(model.w[j * K + k]!));
    const s = max / 127 || 1;
    scale[j] = s;
    for (let k = 0; k < K; k++) q[j * K + k] = Math.round(model.w[j * K + k]! / s);
  }
  return { scale, q };
}

function dequantize(scale: Float32Array, q: Int8Array, classes: number): Float32Array {
  const w = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) w[i] = q[i]! * scale[Math.floor(i / classes)]!;
  return w;
}

/** Predictions always run on the dequantised weights, so a freshly trained model and its reloaded artifact agree exactly. */
function assemble(p: Parts): LocalClassifier {
  const K = p.labels.length;
  const model: SoftmaxWeights = { classes: K, features: p.terms.length, w: dequantize(p.scale, p.q, K), bias: p.bias };
  const idfB64 = b64(p.vocab.idf);
  const scaleB64 = b64(p.scale);
  const weightsB64 = b64(p.q);
  const bias = [...p.bias];
  const version = createHash("sha256")
    .update(JSON.stringify([p.name, p.labels, p.features, p.terms, bias]))
    .update(idfB64)
    .update(scaleB64)
    .update(weightsB64)
    .update(p.formatVersion === 1 ? "" : JSON.stringify([p.temperature, p.threshold]))
    .digest("hex")
    .slice(0, 12);
  const vectorize = createVectorizer(p.vocab, p.features);
  const scratch = new Float64Array(K);
  const scores = (text: string) => logits(model, vectorize(text), new Float64Array(K));
  const self: LocalClassifier = {
    name: p.name,
    version,
    labels: p.labels,
    temperature: p.temperature,
    threshold: p.threshold,
    logits: scores,
    predict(text) {
      // The scratch buffer is safe to reuse: predict is synchronous and copies out what it returns.
      const probs = softmax(logits(model, vectorize(text), scratch), p.temperature);
      let best = 0;
      let second = -1;
      for (let k = 1; k < probs.length; k++) {
        if (probs[k]! > probs[best]!) {
          second = best;
          best = k;
        } else if (second < 0 || probs[k]! > probs[second]!) second = k;
      }
      return {
        label: p.labels[best]!,
        confidence: probs[best]!,
        alternatives: second >= 0 ? [{ label: p.labels[second]!, confidence: probs[second]! }] : [],
      };
    },
    withCalibration(temperature, threshold) {
      return assemble({ ...p, temperature, threshold, formatVersion: 2 });
    },
    toArtifact() {
      return {
        format: artifactFormat,
        formatVersion: p.formatVersion,
        name: p.name,
        version,
        createdAt: p.createdAt,
        labels: [...p.labels],
        features: p.features,
        terms: [...p.terms],
        idf: idfB64,
        weightScale: scaleB64,
        weights: weightsB64,
        bias,
        temperature: p.temperature,
        threshold: p.threshold,
        training: p.training,
      };
    },
  };
  return self;
}

/** Both linear components trained on the same vectors; `combine(weight)` makes a classifier of any mix. */
export interface TrainedComponents {
  combine(svmWeight: number): LocalClassifier;
}

export function trainComponents(rows: readonly { text: string; category: string }[], opts: TrainLocalOptions): TrainedComponents {
  const labels = opts.labels ?? [...new Set(rows.map((r) => r.category))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const features = opts.features ?? defaultFeatureOptions;
  const train = opts.train ?? defaultTrainOptions;
  const svm = opts.svm ?? defaultSvmOptions;
  const minDf = opts.minDf ?? 2;
  const { terms, idf } = buildVocabulary(
    rows.map((r) => r.text),
    features,
    minDf,
  );
  const vocab: Vocabulary = { index: new Map(terms.map((t, i) => [t, i])), idf };
  const vectorize = createVectorizer(vocab, features);
  const xs = rows.map((r) => vectorize(r.text));
  const ys = rows.map((r, i) => {
    const y = labelIndex.get(r.category);
    if (y === undefined) throw new SchemaError(`training row ${i}: category "${r.category}" is not one of the labels`);
    return y;
  });
  const regression = trainSoftmax(xs, ys, labels.length, terms.length, train);
  const margins = opts.svmWeight === 0 ? null : trainOneVsRestSvm(xs, ys, labels.length, terms.length, svm);
  const createdAt = new Date().toISOString();
  return {
    combine(svmWeight) {
      const w = Float32Array.from(regression.w);
      const bias = Float32Array.from(regression.bias);
      if (margins && svmWeight !== 0) {
        for (let i = 0; i < w.length; i++) w[i]! += svmWeight * margins.w[i]!;
        for (let k = 0; k < bias.length; k++) bias[k]! += svmWeight * margins.bias[k]!;
      }
      return assemble({
        name: opts.name,
        labels,
        features,
        terms,
        vocab,
        ...quantize({ ...regression, w }),
        bias,
        temperature: 1,
        threshold: null,
        training: { rows: rows.length, minDf, ...train, svm: margins ? { ...svm, weight: svmWeight } : null },
        createdAt,
        formatVersion: 2,
      });
    },
  };
}

export function trainLocalClassifier(rows: readonly { text: string; category: string }[], opts: TrainLocalOptions): LocalClassifier {
  return trainComponents(rows, opts).combine(opts.svmWeight ?? defaultSvmWeight);
}

export function fromArtifact(input: unknown): LocalClassifier {
  const parsed = artifactSchema.safeParse(input);
  if (!parsed.success) throw new SchemaError(`local classifier artifact: ${describeIssues(parsed.error.issues)}`);
  const a = parsed.data;
  const K = a.labels.length;
  const idf = fromB64(a.idf, Float32Array);
  const scale = fromB64(a.weightScale, Float32Array);
  const q = fromB64(a.weights, Int8Array);
  if (idf.length !== a.terms.length || scale.length !== a.terms.length || q.length !== a.terms.length * K || a.bias.length !== K)
    throw new SchemaError("local classifier artifact: weights: sizes do not match terms × labels");
  const loaded = assemble({
    name: a.name,
    labels: a.labels,
    features: a.features,
    terms: a.terms,
    vocab: { index: new Map(a.terms.map((t, i) => [t, i])), idf },
    scale,
    q,
    bias: Float32Array.from(a.bias),
    temperature: a.temperature,
    threshold: a.threshold,
    training: a.training,
    createdAt: a.createdAt,
    formatVersion: a.formatVersion,
  });
  if (loaded.version !== a.version)
    throw new SchemaError(`local classifier artifact: version: content hashes to ${loaded.version}, file says ${a.version}`);
  return loaded;
}

export function saveLocalClassifier(model: LocalClassifier, path: string): void {
  writeFileSync(path, gzipSync(JSON.stringify(model.toArtifact()), { level: 9 }));
}

export function loadLocalClassifier(path: string): LocalClassifier {
  return classifierFromBytes(readFileSync(path));
}

/** An artifact as stored (file or object store): JSON, gzipped or not. */
export function classifierFromBytes(raw: Uint8Array): LocalClassifier {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const text = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
  return fromArtifact(JSON.parse(text));
}
