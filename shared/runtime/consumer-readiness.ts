import { consumerInfo, isNotFound, type Bus, type ConsumerSpec } from "../bus/index.js";
import type { Logger, MeshMetrics } from "../telemetry/index.js";

export interface ConsumerWatch {
  /** False while one of the agent's consumers is gone from the broker. */
  present(): boolean;
  /** Checks now (the consume loop reports an error, or a caller wants a fresh answer). */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Watches that the agent's durable consumers still exist (CONSUMER.INFO every `intervalMs`). An agent may not
 * recreate one (its identity cannot), so a lost consumer turns readiness false, logs the fact and sets
 * mesh_consumer_present to 0 until the operator restores it (`mesh init`). While the broker is unreachable the
 * last answer stands: that is a connection problem, not a lost consumer.
 */
export function watchConsumers(
  bus: Bus,
  specs: readonly ConsumerSpec[],
  opts: { intervalMs: number; metrics: MeshMetrics; log: Logger },
): ConsumerWatch {
  const lost = new Set<string>();
  const key = (s: ConsumerSpec) => `${s.stream}/${s.durable}`;
  const gauge = (s: ConsumerSpec, up: boolean) => opts.metrics.mesh_consumer_present.set({ stream: s.stream, consumer: s.durable }, up ? 1 : 0);
  for (const s of specs) gauge(s, true);
  let running: Promise<void> | undefined;
  const checkOnce = async () => {
    for (const s of specs) {
      let exists: boolean;
      try {
        await consumerInfo(bus, s.stream, s.durable);
        exists = true;
      } catch (err) {
        if (!isNotFound(err)) continue;
        exists = false;
      }
      if (!exists && !lost.has(key(s))) {
        lost.add(key(s));
        opts.log.error({ stream: s.stream, consumer: s.durable }, "durable consumer is gone from the broker: not ready until the operator recreates it (mesh init); consuming resumes once it is back");
      } else if (exists && lost.delete(key(s))) {
        opts.log.info({ stream: s.stream, consumer: s.durable }, "durable consumer is back");
      }
      gauge(s, exists);
    }
  };
  const check = () => (running ??= checkOnce().finally(() => (running = undefined)));
  const timer = setInterval(() => void check(), opts.intervalMs);
  timer.unref();
  return {
    present: () => lost.size === 0,
    check,
    stop: () => clearInterval(timer),
  };
}
