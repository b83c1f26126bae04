/**
 * `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same run
 * (these machines are shared and noisy, so only ratios travel). Name some to run only those:
 * `npm run bench -- policy models`.
 */
import { run as mesh } from "./mesh-throughput.js";
import { run as models } from "./models-bench.js";
import { run as policy } from "./policy-decide.js";

const benches: Record<string, () => Promise<unknown> | unknown> = {
  policy: () => policy(),
  models: () => models(),
  mesh: () => mesh(),
};

const chosen = process.argv.slice(2).filter((a) => a !== "--");
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown bench "${name}"; choose from ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  await bench();
}
