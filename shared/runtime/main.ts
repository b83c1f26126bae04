/**
 * Entry point of one agent process: `AGENT=invoice node dist/agent.js` (compiled; `node scripts/build.mjs`), or from
 * source `AGENT=invoice node --import tsx shared/runtime/main.ts` (or the agent name as the first argument).
 * SIGTERM/SIGINT/SIGHUP, or the end of the process named by MESH_PARENT_PID, drain and exit 0.
 */
import { loadAgentConfig, withholdSecrets } from "./config.js";
import { loadAgentDefinition } from "./load-agent.js";
import { watchParent } from "./parent-watch.js";
import { runAgent } from "./run-agent.js";

const name = process.argv[2] ?? process.env.AGENT;
try {
  const config = loadAgentConfig(process.env, name ? { agent: name } : {});
  withholdSecrets(process.env);
  const def = await loadAgentDefinition(config.agent);
  const agent = await runAgent(def, config);
  let signalled = false;
  const stop = (why: string) => {
    if (signalled) return;
    signalled = true;
    console.error(`agent ${config.agent}: ${why}, draining`);
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`agent ${config.agent}: shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => stop(signal));
  if (config.parentPid) watchParent(config.parentPid, () => stop(`parent process ${config.parentPid} is gone`));
} catch (err) {
  console.error(`agent ${name ?? "(AGENT not set)"}: ${(err as Error).message}`);
  process.exit(1);
}
