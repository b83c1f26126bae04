import { z } from "zod";
import { openStateStore, type Bus } from "../../shared/bus/index.js";

const vendorHitsSchema = z.object({ vendor: z.string().min(1), straightThrough: z.number().int().nonnegative(), human: z.number().int().nonnegative() });
export type VendorHits = z.infer<typeof vendorHitsSchema> & { readonly hitRate: number };

/** The extract agent's per-vendor counts (state `hits.<vendor>`), worst hit-rate first; entries that do not parse are skipped. */
export async function readVendorHits(bus: Bus): Promise<VendorHits[]> {
  const store = await openStateStore(bus, "mesh_state_extract");
  const out: VendorHits[] = [];
  for (const entry of await store.values("hits.")) {
    const parsed = vendorHitsSchema.safeParse(entry.value);
    if (!parsed.success) continue;
    const total = parsed.data.straightThrough + parsed.data.human;
    if (total > 0) out.push({ ...parsed.data, hitRate: parsed.data.straightThrough / total });
  }
  return out.sort((a, b) => a.hitRate - b.hitRate || a.vendor.localeCompare(b.vendor));
}

/** One line per vendor: its hit-rate and, by the same rule as the plan, where to invest for it. */
export function renderVendorHits(hits: readonly VendorHits[], minHitRate: number): string {
  if (!hits.length) return "no document has been extracted yet: no per-vendor hit-rate\n";
  const lines = hits.map(
    (h) =>
      `${h.vendor.padEnd(24)} ${String(h.straightThrough).padStart(6)} ${String(h.human).padStart(6)} ${`${Math.round(h.hitRate * 100)}%`.padStart(8)}  ${h.hitRate < minHitRate ? "extraction (its template: review more of its documents)" : "models"}`,
  );
  return [`${"vendor".padEnd(24)} ${"auto".padStart(6)} ${"human".padStart(6)} ${"hit-rate".padStart(8)}  invest in`, ...lines].join("\n") + "\n";
}
