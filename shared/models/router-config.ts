import { z } from "zod";
import { defaultCacheOptions } from "./cache.js";
import { endpointSchema } from "./llm-tier.js";
import { thresholdsSchema } from "./routing-policy.js";
import { spendReserveSchema } from "./spend.js";

/** The router's settings (MODEL_ROUTING plus the endpoints), parsed once at start-up. */
export const routerConfigSchema = z.object({
  endpoints: z.array(endpointSchema).default([]),
  thresholds: thresholdsSchema.default({}),
  /** Per-flow overrides, e.g. a stricter bar for flows with costly mistakes. */
  flows: z.record(z.string(), thresholdsSchema).default({}),
  defaultLargeThreshold: z.number().min(0).max(1).default(0.8),
  cache: z
    .object({ maxEntries: z.number().int().positive(), ttlMs: z.number().int().positive() })
    .default(defaultCacheOptions),
  breaker: z
    .object({
      windowSize: z.number().int().positive(),
      minCalls: z.number().int().positive(),
      errorRateToOpen: z.number().min(0).max(1),
      slowCallMs: z.number().int().positive(),
      slowRateToOpen: z.number().min(0).max(1),
      openMs: z.number().int().positive(),
    })
    .partial()
    .default({}),
  /** Micro-batching of large-model classification across concurrent tasks; maxBatch 1 turns it off. */
  batch: z.object({ maxBatch: z.number().int().min(1).max(64), maxWaitMs: z.number().int().min(0) }).default({ maxBatch: 1, maxWaitMs: 10 }),
  /** The worst case a large-model call reserves against the policy's budgets before it runs. */
  spendReserve: spendReserveSchema.default(spendReserveSchema.parse({})),
});
export type RouterConfig = z.input<typeof routerConfigSchema>;

