import { ConflictError, type StateStore } from "../../shared/runtime/index.js";

/** Documents of one vendor by who finished them: the extraction alone, or a human. */
export interface VendorHits {
  readonly vendor: string;
  readonly straightThrough: number;
  readonly human: number;
}

const hitsKey = (vendor: string) => `hits.${vendor.replace(/[^A-Za-z0-9]/g, "")}`;

/** Counts one finished document for its vendor (compare-and-set, so replicas never lose a count). */
export async function countHit(state: StateStore, vendor: string, touched: "straightThrough" | "human"): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await state.get<VendorHits>(hitsKey(vendor));
    const base = entry?.value ?? { vendor, straightThrough: 0, human: 0 };
    const next = { ...base, [touched]: base[touched] + 1 };
    try {
      await (entry ? state.update(hitsKey(vendor), next, entry.revision) : state.create(hitsKey(vendor), next));
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}
