import { TransientError } from "../errors/index.js";

/**
 * Runs at most `concurrency` jobs at once with at most `queue` waiting; beyond that a job is refused at once
 * (E_RATE_LIMITED, transient: the caller may retry) instead of piling up. For services that answer outside
 * callers (the status service), where one flood must not starve the agent's own work of CPU and broker reads.
 */
export function boundedWork(what: string, limits: { readonly concurrency: number; readonly queue: number }) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    async run<T>(job: () => Promise<T>): Promise<T> {
      if (running >= limits.concurrency) {
        if (waiting.length >= limits.queue) {
          throw new TransientError("E_RATE_LIMITED", `${what} is busy (${running} running, ${waiting.length} waiting); retry in a second`);
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}
