/**
 * The review queue at 50,000 pending items on a real nats-server: the latency of `GET /api/queue` for one page
 * (25 rows), as a reviewer's browser asks for it (HTTP, session, the index, the page's rows summarised), unfiltered
 * and filtered, and the same page in process (no HTTP, no session check), beside baselines measured in the same run:
 *   - GET /api/session: HTTP and the session check alone (sessions are followed by watch, so no KV read per request);
 *   - raw KV reads of one page: 25 concurrent gets of stored items, no HTTP, no index (what a page cannot beat);
 *   - the path this replaced, reading every item per request, on a smaller queue (BENCH_REVIEW_OLD_ITEMS).
 * Target (issue 12): p95 of listing a page <= 50 ms at 50,000 items.
 *   npm run bench -- review-queue      (BENCH_REVIEW_ITEMS=50000 BENCH_REVIEW_OLD_ITEMS=2000)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalNats } from "../../cli/local-nats.js";
import { openStateStore, type StateStore } from "../../shared/bus/index.js";
import { createMetrics } from "../../shared/telemetry/index.js";
import { byPriority, createQueue, type QueueItem } from "../../agents/review/queue.js";
import { parseQueueQuery, queuePage } from "../../agents/review/queue-query.js";
import { startReviewService } from "../../agents/review/service.js";
import { summaryOf } from "../../agents/review/snapshot.js";
import { ticketRequest } from "../unit/review/fixtures.js";
import { Client, reviewTokens, tokens } from "../unit/review/harness.js";
import { quantile } from "./pipeline-load.js";
import { connectRawBus } from "../helpers/nats.js";

const items = Number(process.env.BENCH_REVIEW_ITEMS ?? 50_000);
const oldItems = Number(process.env.BENCH_REVIEW_OLD_ITEMS ?? 2_000);
const pageSize = 25;
const samples = 300;
const hour = 3600_000;

/** `n` pending items in `state`: one in ten held for approval, requests spread over the last two days. */
async function fill(state: StateStore, n: number, slaMs: number): Promise<string[]> {
  const queue = createQueue(state, { slaMs });
  const ids: string[] = [];
  const start = Date.now() - 48 * hour;
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) =>
      ticketRequest(`ticket ${i + j}: my card has not arrived`, {
        requestedAt: new Date(start + Math.floor(((i + j) / n) * 48 * hour)).toISOString(),
        ...((i + j) % 10 === 0 ? { code: "approval_required", label: "lost_or_stolen_card" } : {}),
      }),
    );
    await Promise.all(batch.map((r) => queue.intake(r)));
    ids.push(...batch.map((r) => r.envelopeId));
  }
  return ids;
}

async function timed(n: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run(i);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
function line(label: string, sorted: readonly number[]) {
  console.log(`  ${label.padEnd(46)} p50 ${ms(quantile(sorted, 0.5)).padStart(10)}  p95 ${ms(quantile(sorted, 0.95)).padStart(10)}  p99 ${ms(quantile(sorted, 0.99)).padStart(10)}`);
  return quantile(sorted, 0.95);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "bench-review-"));
  const nats = await startLocalNats({ dataDir: dir });
  const bus = await connectRawBus({ servers: nats.url, name: "bench-review" });
  try {
    const state = await openStateStore(bus, "mesh_state_review");
    const slaMs = 4 * hour;
    let t0 = performance.now();
    const ids = await fill(state, items, slaMs);
    console.log(`  ${items} pending items stored in KV in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    t0 = performance.now();
    const silent = { info() {}, warn() {}, error() {} };
    const refuse = () => Promise.reject(new Error("the bench decides nothing"));
    const service = await startReviewService({
      state,
      metrics: createMetrics(),
      log: silent,
      env: { REVIEW_PORT: "0", REVIEW_TOKENS: reviewTokens, REVIEW_SLA_MS: String(slaMs), REVIEW_SWEEP_MS: String(hour) },
      revealForReviewer: async (envelopes) => [...envelopes],
      documentForReviewer: refuse,
      approversFor: () => 1,
      approve: refuse,
      decide: refuse,
    });
    console.log(`  review service up, index of ${items} items built from the bucket's watch, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      const client = new Client(service.url);
      await client.signIn(tokens.bob);
      const pages = Math.ceil(items / pageSize);
      const get = async (qs: string) => {
        const res = await client.request("GET", `/api/queue?pageSize=${pageSize}&${qs}`);
        if (res.status !== 200 || res.json.items.length === 0) throw new Error(`GET /api/queue?${qs}: ${res.status} ${res.text.slice(0, 200)}`);
      };
      // A fixed stride through the pages, so every run asks for the same ones.
      const page = (i: number) => 1 + ((i * 7919) % pages);
      await timed(30, (i) => get(`page=${page(i)}`));

      console.log(`\n  listing one page of ${pageSize} (GET /api/queue over HTTP) at ${items} pending items:`);
      const p95 = line("any page, no filter", await timed(samples, (i) => get(`page=${page(i)}`)));
      line("reason=approval_required (1 in 10), any page", await timed(samples, (i) => get(`reason=approval_required&page=${1 + (page(i) % Math.ceil(items / 10 / pageSize))}`)));
      line("sla=overdue, any page", await timed(samples, (i) => get(`sla=overdue&page=${1 + (page(i) % 100)}`)));
      line("search q=stolen (1 in 10), any page", await timed(samples, (i) => get(`q=stolen&page=${1 + (page(i) % Math.ceil(items / 10 / pageSize))}`)));
      // HTTP and the session check with no queue behind them: what any request costs before the page is cut. Measured
      // here, while the keep-alive connection is busy: after the in-process runs the server may have closed it.
      const floor = line("GET /api/session (HTTP + session, no queue)", await timed(samples, async () => {
        const res = await client.request("GET", "/api/session");
        if (res.status !== 200) throw new Error(`GET /api/session: ${res.status}`);
      }));

      // The same page without HTTP and the session lookup: what the index and the summaries cost.
      const summarise = async (rowIds: readonly string[]) => service.index.items(rowIds).map(summaryOf);
      const direct = (qs: string) => queuePage(service.index, parseQueueQuery(Object.fromEntries(new URLSearchParams(`pageSize=${pageSize}&${qs}`))), "bob", Date.now(), summarise);
      line("in process (queuePage: index, rows, summaries)", await timed(samples, (i) => direct(`page=${page(i)}`)));
      line("in process, reason=approval_required", await timed(samples, (i) => direct(`reason=approval_required&page=${1 + (page(i) % Math.ceil(items / 10 / pageSize))}`)));
      line("in process, q=stolen", await timed(samples, (i) => direct(`q=stolen&page=${1 + (page(i) % Math.ceil(items / 10 / pageSize))}`)));

      console.log("\n  baselines, same run:");
      const raw = line(`raw KV reads of one page (${pageSize} gets)`, await timed(samples, (i) => Promise.all(ids.slice((page(i) - 1) * pageSize, page(i) * pageSize).map((id) => state.get(`item.${id}`)))));

      const oldState = await openStateStore(bus, "bench_review_old");
      await fill(oldState, oldItems, slaMs);
      // What GET /api/queue did before the index: every item read, the open ones sorted, one page cut.
      const oldPath = async () => (await oldState.values<QueueItem>("item")).map((e) => e.value).filter((i) => i.status !== "decided").sort(byPriority).slice(0, pageSize);
      const old = line(`read-every-item path at ${oldItems} items`, await timed(10, oldPath));

      console.log(`\n  page p95 ${ms(p95)} (target <= 50 ms at 50,000): ${p95 <= 50 ? "met" : "NOT met"}`);
      console.log(`  page p95 / raw KV page read p95: ${(p95 / raw).toFixed(2)}x`);
      console.log(`  page p95 / HTTP + session floor p95: ${(p95 / floor).toFixed(2)}x`);
      console.log(`  read-every-item p95 at ${oldItems} items / indexed page p95 at ${items}: ${(old / p95).toFixed(1)}x (it grows with the queue: ~${ms((old / oldItems) * items)} at ${items})`);
    } finally {
      await service.close();
    }
  } finally {
    await bus.nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
