/**
 * Drives a two-hop pipeline (the mesh's ingest → invoice, or the raw baseline's two stages) the same way for
 * both: publish tasks (all at once for the maximum, or paced at a given rate for latency), watch the first hop's
 * output and the final outputs on plain subscriptions, and time each task at each point.
 */
import type { Msg, NatsConnection } from "nats";

export interface Pipeline {
  readonly name: string;
  /** Publishes task `i` of a run (`run` keeps ids of different runs apart, since both pipelines dedupe). */
  publish(run: string, i: number): Promise<unknown>;
  /** The key under which task `i` of `run` shows up in `keyOf`. */
  keyOfTask(run: string, i: number): string;
  /** Where the first hop's output appears, and where the final outputs do. */
  readonly hopSubject: string;
  readonly endSubjects: readonly string[];
  keyOf(m: Msg): string | undefined;
}

export interface RunTimes {
  readonly tasks: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Milliseconds per task, sorted: publish → final output, publish → first hop's output, first hop → final. */
  readonly endToEnd: readonly number[];
  readonly hop1: readonly number[];
  readonly hop2: readonly number[];
}

/**
 * Runs `tasks` through `pipeline`: at `ratePerSecond` when given (for latency), else all at once (for the
 * maximum). Resolves when every task's final output was seen; rejects past `timeoutMs`, saying how far it got.
 */
export async function drive(nc: NatsConnection, pipeline: Pipeline, run: string, tasks: number, ratePerSecond?: number, timeoutMs = 180_000): Promise<RunTimes> {
  const sent = new Map<string, number>();
  const hop = new Map<string, number>();
  const ended = new Map<string, number>();
  let allEnded!: () => void;
  const done = new Promise<void>((r) => (allEnded = r));
  const watch = (subject: string, into: Map<string, number>, final: boolean) =>
    nc.subscribe(subject, {
      callback: (_err, m) => {
        const at = performance.now();
        const key = pipeline.keyOf(m);
        if (key === undefined || !sent.has(key) || into.has(key)) return;
        into.set(key, at);
        if (final && into.size === tasks) allEnded();
      },
    });
  const subs = [watch(pipeline.hopSubject, hop, false), ...pipeline.endSubjects.map((s) => watch(s, ended, true))];
  await nc.flush();
  const keys = Array.from({ length: tasks }, (_, i) => pipeline.keyOfTask(run, i));
  const t0 = performance.now();
  const publishes: Promise<unknown>[] = [];
  const send = (i: number) => {
    sent.set(keys[i]!, performance.now());
    publishes.push(pipeline.publish(run, i));
  };
  if (ratePerSecond === undefined) for (let i = 0; i < tasks; i++) send(i);
  else {
    // Paced: every tick publishes what the rate says is due by now, so a late tick catches up instead of drifting.
    for (let i = 0; i < tasks; ) {
      const due = Math.min(tasks, Math.floor(((performance.now() - t0) / 1000) * ratePerSecond) + 1);
      while (i < due) send(i++);
      if (i < tasks) await new Promise((r) => setTimeout(r, 2));
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${pipeline.name}: ${ended.size} of ${tasks} tasks ended within ${timeoutMs} ms (${hop.size} passed the first hop)`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(publishes).then(() => done), timedOut]);
  } finally {
    clearTimeout(timer);
    for (const s of subs) s.unsubscribe();
  }
  const last = Math.max(...ended.values());
  const seconds = (last - t0) / 1000;
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  return {
    tasks,
    seconds,
    perSecond: tasks / seconds,
    endToEnd: sorted(keys.map((k) => ended.get(k)! - sent.get(k)!)),
    hop1: sorted(keys.filter((k) => hop.has(k)).map((k) => hop.get(k)! - sent.get(k)!)),
    hop2: sorted(keys.filter((k) => hop.has(k)).map((k) => ended.get(k)! - hop.get(k)!)),
  };
}

/** The value at quantile `q` of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
