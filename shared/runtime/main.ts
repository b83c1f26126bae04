/**
 * Entry point of one agent process: `AGENT=invoice node --import tsx shared/runtime/main.ts`
 * (or the agent name as the first argument). SIGTERM/SIGINT drain and exit 0.
 */
import { loadAgentConfig, withholdSecrets } from "./config.js";
import { loadAgentDefinition } from "./load-agent.js";
import { runAgent } from "./run-agent.js";

const name = process.argv[2] ?? process.env.AGENT;
try {
  const config = loadAgentConfig(process.env, name ? { agent: name } : {});
  withholdSecrets(process.env);
  const def = await loadAgentDefinition(config.agent);
  const agent = await runAgent(def, config);
  let signalled = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = true;
      agent.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`agent ${config.agent}: shutdown failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
} catch (err) {
  console.error(`agent ${name ?? "(AGENT not set)"}: ${(err as Error).message}`);
  process.exit(1);
}
