/**
 * Micro-batching: single requests that arrive within `maxWaitMs` of each other (up to `maxBatch`) go to
 * `run` as one batch; each caller gets its own item's answer or the batch's error.
 */
export interface BatcherOptions<I, O> {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Must return one output per input, in order. */
  readonly run: (items: readonly I[]) => Promise<readonly O[]>;
}

export interface Batcher<I, O> {
  (item: I): Promise<O>;
  /** Sends whatever is waiting now. */
  flush(): void;
}

/** @example const classifyOne = createBatcher({ maxBatch: 8, maxWaitMs: 20, run: (texts) => tier.classifyBatch(texts, labels) }) */
export function createBatcher<I, O>(opts: BatcherOptions<I, O>): Batcher<I, O> {
  let pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    opts
      .run(batch.map((p) => p.item))
      .then((outs) => {
        if (outs.length !== batch.length) throw new Error(`batch of ${batch.length} answered with ${outs.length} results`);
        batch.forEach((p, i) => p.resolve(outs[i]!));
      })
      .catch((err) => batch.forEach((p) => p.reject(err)));
  };

  const enqueue = (item: I) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (pending.length >= opts.maxBatch) flush();
      else if (!timer) timer = setTimeout(flush, opts.maxWaitMs);
    });
  return Object.assign(enqueue, { flush });
}
