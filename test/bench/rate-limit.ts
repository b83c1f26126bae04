/**
 * The posting budget's cost per post on a real nats-server, 3 replicas (connections) × 4 concurrent posts each:
 * a sliding-window token (`reserve`, then `settle` once the post returned: two CAS writes on one log key) beside
 * the fixed-window counter it replaced for the social budget (`take`: one CAS write per window key), measured in
 * the same run. The limit is high enough that no token is refused: this is the cost of holding one, not of waiting.
 *   npm run bench -- rate-limit      (BENCH_RATE_LIMIT_TOKENS=3000 BENCH_RATE_LIMIT_LIMIT=50)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalNats } from "../../cli/local-nats.js";
import { connectBus, openRateLimitStore, type RateLimitStore } from "../../shared/bus/index.js";
import { quantile } from "./pipeline-load.js";

const tokens = Number(process.env.BENCH_RATE_LIMIT_TOKENS ?? 3000);
/** Tokens in the sliding log at once (a log holds at most this many entries, so each write carries this many). */
const limit = Number(process.env.BENCH_RATE_LIMIT_LIMIT ?? 50);
const replicas = 3;
const concurrency = 4;

async function run(stores: readonly RateLimitStore[], one: (store: RateLimitStore) => Promise<boolean>): Promise<{ perSecond: number; p95: number; refused: number }> {
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    stores.flatMap((store) =>
      Array.from({ length: concurrency }, async () => {
        while (next++ < tokens) {
          const t0 = performance.now();
          if (!(await one(store))) refused++;
          latencies.push(performance.now() - t0);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: tokens / seconds, p95: quantile(latencies, 0.95), refused };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "bench-rate-limit-"));
  const nats = await startLocalNats({ dataDir: dir });
  const buses = await Promise.all(Array.from({ length: replicas }, (_, i) => connectBus({ servers: nats.url, name: `bench-rate-limit-${i}` })));
  try {
    const stores = await Promise.all(buses.map((bus) => openRateLimitStore(bus)));
    // Windows long enough that every token of a run falls in one, and limits no run reaches: only the cost shows.
    const fixed = await run(stores, async (s) => (await s.take("bench:fixed", tokens * 2, 3_600_000)).allowed);
    // The sliding log keeps `limit` entries at most: each post is settled at once, so old ones age out after 10 ms.
    const sliding = await run(stores, async (s) => {
      const r = await s.reserve("bench:sliding", limit, 10, 30_000);
      if (r.allowed) await r.settle(Date.now());
      return r.allowed;
    });
    const line = (what: string, r: { perSecond: number; p95: number; refused: number }) =>
      console.log(`  ${what.padEnd(44)} ${r.perSecond.toFixed(0).padStart(6)} tokens/s   p95 ${r.p95.toFixed(2).padStart(7)} ms   refused ${r.refused}`);
    console.log(`${tokens} tokens, ${replicas} replicas x ${concurrency} concurrent`);
    line("fixed window (take), baseline", fixed);
    line(`sliding window (reserve + settle, log <= ${limit})`, sliding);
    console.log(`  sliding / fixed: throughput ${(sliding.perSecond / fixed.perSecond).toFixed(2)}x, p95 ${(sliding.p95 / fixed.p95).toFixed(2)}x`);
  } finally {
    await Promise.all(buses.map((b) => b.close()));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
