import { AsyncLocalStorage } from "node:async_hooks";
import type { TraceContext } from "./trace-context.js";

/**
 * The trace context of the work running now. Async-local rather than passed around so that every log
 * line and model call made deep inside a handler carries the task's trace without threading an argument.
 */
const scope = new AsyncLocalStorage<TraceContext>();

/** Runs `fn` (and everything it awaits or schedules) inside `ctx`. */
export function withTrace<T>(ctx: TraceContext, fn: () => T): T {
  return scope.run(ctx, fn);
}

export function currentTrace(): TraceContext | undefined {
  return scope.getStore();
}
