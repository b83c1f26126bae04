/**
 * CLI start-up: `mesh help` from the build (dist/mesh.js, what `mesh` and `npm start` run) against running the
 * TypeScript sources through tsx (how the CLI ran before the build), with bare `node -e 0` as the floor, all
 * measured in this run. The figures are medians of alternating runs, so load on the machine touches each alike.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "../../scripts/build.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 15);

const shapes: Record<string, string[]> = {
  "node -e 0 (floor)": ["-e", "0"],
  "mesh help, compiled": ["dist/mesh.js", "help"],
  // What `mesh` and `npm run mesh` run: the freshness check over the sources, then the build.
  "mesh help, via mesh.mjs": ["cli/mesh.mjs", "help"],
  "mesh help, tsx source": ["--import", "tsx", "cli/index.ts", "help"],
};

function timeOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await build();
const samples = new Map(Object.keys(shapes).map((k) => [k, [] as number[]]));
for (const args of Object.values(shapes)) timeOnce(args); // warm the file cache and tsx's compile cache
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(shapes)) samples.get(name)!.push(timeOnce(args));
const floor = median(samples.get("node -e 0 (floor)")!);
const source = median(samples.get("mesh help, tsx source")!);
for (const [name, xs] of samples) {
  const m = median(xs);
  console.log(`${name.padEnd(28)} median ${m.toFixed(0).padStart(5)} ms   ${(m / floor).toFixed(2)}x the floor   ${(source / m).toFixed(2)}x faster than tsx source`);
}
// The target is absolute (under 0.3 s); on a busy machine node's own start-up eats it, so say both.
const compiled = median(samples.get("mesh help, compiled")!);
console.log(`mesh help, compiled: ${compiled.toFixed(0)} ms against the 300 ms target (${compiled < 300 ? "met" : "missed"}), ${(compiled - floor).toFixed(0)} ms above node's own start-up`);
