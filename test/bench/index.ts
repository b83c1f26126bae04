/**
 * `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same run
 * (these machines are shared and noisy, so only ratios travel). Name some to run only those:
 * `npm run bench -- policy models`. Each runs in a process of its own, so one bench's JIT and heap state
 * cannot colour another's figures (and Node 20's V8 once aborted in a deopt when all three shared one).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const benches: Record<string, string> = {
  policy: "policy-decide.ts",
  models: "models-bench.ts",
  mesh: "mesh-throughput.ts",
  "mesh-r3": "mesh-throughput.ts --r3",
  cli: "cli-startup.ts",
  "review-queue": "review-queue.ts",
  extract: "extract-documents.ts",
  "rate-limit": "rate-limit.ts",
};

const chosen = process.argv.slice(2).filter((a) => a !== "--");
let failed = 0;
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const file = benches[name];
  if (!file) {
    console.error(`unknown bench "${name}"; choose from ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  const [script, ...args] = file.split(" ");
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL(script!, import.meta.url)), ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`bench ${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
