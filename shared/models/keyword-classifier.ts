import { createHash } from "node:crypto";
import { MeshError } from "../errors/index.js";
import { normaliseText } from "./features.js";
import type { LocalClassifier, Prediction, ThresholdInfo } from "./local-classifier.js";

export interface KeywordClassifierOptions {
  readonly name: string;
  /** Label → words or phrases that name it (matched as whole words of the normalised text). */
  readonly topics: Readonly<Record<string, readonly string[]>>;
  /** The label of a text that names no topic. */
  readonly fallback: string;
  /** Confidence of a text naming exactly one topic, or none. */
  readonly sure: number;
  readonly threshold: ThresholdInfo;
}

/**
 * A small model that is a list of words: a text naming one topic's words is that topic, one naming none is the
 * fallback (both `sure`), and one naming several is ranked by hits at under a half each, so it falls under the
 * threshold and the router asks the large model, then a human. Deterministic and inspectable, as a high-risk gate should be.
 * It ships as code (its version is the lists' hash), so it has no artifact for the model store.
 */
export function keywordClassifier(opts: KeywordClassifierOptions, temperature = 1): LocalClassifier {
  const labels = [opts.fallback, ...Object.keys(opts.topics).filter((l) => l !== opts.fallback)];
  const patterns = labels.map((label) => (opts.topics[label] ?? []).map((w) => new RegExp(`(?<![\\p{L}\\p{N}])${normaliseText(w).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "u")));
  const version = createHash("sha256").update(JSON.stringify({ labels, topics: opts.topics, sure: opts.sure, threshold: opts.threshold, temperature })).digest("hex").slice(0, 16);
  const hits = (text: string): Float64Array => {
    const normal = normaliseText(text);
    return Float64Array.from(patterns, (ps) => ps.filter((p) => p.test(normal)).length);
  };
  const self: LocalClassifier = {
    name: opts.name,
    version,
    labels,
    temperature,
    threshold: opts.threshold,
    logits: hits,
    predict(text): Prediction {
      const h = hits(text);
      const total = h.reduce((a, b) => a + b, 0);
      const named = h.filter((n) => n > 0).length;
      const rest = (1 - opts.sure) / (labels.length - 1);
      const most = Math.max(...h);
      // None named: the fallback; one: that topic; several: ranked by hits, each under a half (h < total + most
      // when another topic was named too), so no threshold above a half accepts a mixed mention.
      const scored = labels.map((label, i) =>
        named === 0 ? { label, confidence: i === 0 ? opts.sure : rest } : named === 1 ? { label, confidence: h[i]! > 0 ? opts.sure : rest } : { label, confidence: h[i]! / (total + most) },
      );
      scored.sort((a, b) => b.confidence - a.confidence);
      return { label: scored[0]!.label, confidence: scored[0]!.confidence, alternatives: scored.slice(1, 3) };
    },
    withCalibration(t, threshold) {
      return keywordClassifier({ ...opts, ...(threshold ? { threshold } : {}) }, t);
    },
    toArtifact() {
      throw new MeshError("E_CONFIG", `${opts.name} is a keyword list shipped as code; change its lists, not a model-store version`);
    },
  };
  return self;
}
