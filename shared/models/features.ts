/**
 * Text → sparse TF-IDF vector over word unigrams, word bigrams and character n-grams inside word boundaries.
 * Character n-grams carry typos and inflections ("recieved", "refunds"), which short support queries are full of.
 */
export interface FeatureOptions {
  readonly charMin: number;
  readonly charMax: number;
  readonly wordBigrams: boolean;
}

export const defaultFeatureOptions: FeatureOptions = { charMin: 2, charMax: 5, wordBigrams: true };

/** Sparse vector: parallel arrays of feature indices and values, L2-normalised. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** The normal form every tier, the cache and the tokenizer agree on. */
export function normaliseText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

export function words(text: string): string[] {
  return normaliseText(text).match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

/** Raw feature strings (with repeats, so counts are term frequencies). */
export function featureStrings(text: string, opts: FeatureOptions): string[] {
  const ws = words(text);
  const out: string[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    out.push(`w:${w}`);
    if (opts.wordBigrams && i + 1 < ws.length) out.push(`b:${w} ${ws[i + 1]}`);
    const padded = ` ${w} `;
    for (let n = opts.charMin; n <= opts.charMax; n++) {
      for (let s = 0; s + n <= padded.length; s++) out.push(`c:${padded.slice(s, s + n)}`);
    }
  }
  return out;
}

export interface Vocabulary {
  readonly index: ReadonlyMap<string, number>;
  readonly idf: Float32Array;
}

/** Vocabulary of features seen in at least `minDf` documents, with smoothed idf = ln((1+n)/(1+df)) + 1. */
export function buildVocabulary(texts: readonly string[], opts: FeatureOptions, minDf: number): { terms: string[]; idf: Float32Array } {
  const df = new Map<string, number>();
  for (const text of texts) {
    for (const f of new Set(featureStrings(text, opts))) df.set(f, (df.get(f) ?? 0) + 1);
  }
  const terms = [...df.entries()].filter(([, d]) => d >= minDf).map(([t]) => t).sort();
  const idf = new Float32Array(terms.length);
  terms.forEach((t, i) => {
    idf[i] = Math.log((1 + texts.length) / (1 + df.get(t)!)) + 1;
  });
  return { terms, idf };
}

/**
 * Text → TF-IDF vector. Each word's unigram and character n-gram indices are cached per word (bounded),
 * because building n-gram substrings is most of the cost and the garbage they leave makes the p99.
 */
export function createVectorizer(vocab: Vocabulary, opts: FeatureOptions, maxCachedWords = 50_000): (text: string) => SparseVector {
  const wordCache = new Map<string, Int32Array>();
  const wordFeatures = (w: string): Int32Array => {
    let hit = wordCache.get(w);
    if (hit) return hit;
    const found: number[] = [];
    const uni = vocab.index.get(`w:${w}`);
    if (uni !== undefined) found.push(uni);
    const padded = ` ${w} `;
    for (let n = opts.charMin; n <= opts.charMax; n++) {
      for (let s = 0; s + n <= padded.length; s++) {
        const j = vocab.index.get(`c:${padded.slice(s, s + n)}`);
        if (j !== undefined) found.push(j);
      }
    }
    hit = Int32Array.from(found);
    if (wordCache.size >= maxCachedWords) wordCache.clear();
    wordCache.set(w, hit);
    return hit;
  };
  return (text) => {
    const ws = words(text);
    const tf = new Map<number, number>();
    for (let i = 0; i < ws.length; i++) {
      for (const j of wordFeatures(ws[i]!)) tf.set(j, (tf.get(j) ?? 0) + 1);
      if (opts.wordBigrams && i + 1 < ws.length) {
        const j = vocab.index.get(`b:${ws[i]} ${ws[i + 1]}`);
        if (j !== undefined) tf.set(j, (tf.get(j) ?? 0) + 1);
      }
    }
    const indices = new Int32Array(tf.size);
    const values = new Float32Array(tf.size);
    let k = 0;
    let norm = 0;
    for (const [j, count] of tf) {
      const v = (1 + Math.log(count)) * vocab.idf[j]!;
      indices[k] = j;
      values[k] = v;
      norm += v * v;
      k++;
    }
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < values.length; i++) values[i]! /= norm;
    return { indices, values };
  };
}
