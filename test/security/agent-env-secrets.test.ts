import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createSigningKey } from "../../policy/signing/index.js";
import { testDataKeysJson } from "../helpers/data-keys.js";

const run = promisify(execFile);

/**
 * What handler code finds in `process.env` once the runtime has started: the probe below runs the agent entry's
 * own start-up order (parse the configuration, withhold the secrets, then load agent code) in a real process.
 */
const probe = `
import { loadAgentConfig, withholdSecrets, agentSettingsEnv } from ${JSON.stringify(fileURLToPath(new URL("../../shared/runtime/config.ts", import.meta.url)))};
const config = loadAgentConfig(process.env, { agent: "review" });
withholdSecrets(process.env);
// From here on, this is what an agent's module or handler sees.
console.log(JSON.stringify({ env: process.env, service: agentSettingsEnv("review"), configHolds: { seed: Boolean(config.identitySeed), keys: Boolean(config.dataKeys), llm: Boolean(config.openaiApiKey), nats: Boolean(config.natsPass) } }));
`;

test("an agent's code finds no broker credential, identity seed, LLM key or data key in process.env, and its service sees only its own settings", async () => {
  const secrets = {
    NATS_PASS: "broker-password-123",
    MESH_IDENTITY_SEED: createSigningKey().seed,
    OPENAI_API_KEY: "sk-test-should-not-leak",
    MODEL_ENDPOINTS: JSON.stringify([{ name: "x", baseUrl: "http://127.0.0.1:1", apiKey: "endpoint-key-should-not-leak", model: "m", region: "eu" }]),
    MESH_DATA_KEYS: testDataKeysJson,
  };
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
    env: { ...process.env, ...secrets, NATS_USER: "review", REVIEW_PORT: "0", TRAINER_MODEL: "not-for-review" },
  });
  const seen = JSON.parse(stdout) as { env: Record<string, string>; service: Record<string, string>; configHolds: Record<string, boolean> };
  for (const [name, value] of Object.entries(secrets)) {
    assert.equal(seen.env[name], undefined, `${name} is withheld from process.env`);
    assert.ok(!Object.values(seen.env).some((v) => v.includes(value)), `no variable carries the value of ${name}`);
  }
  assert.deepEqual(seen.configHolds, { seed: true, keys: true, llm: true, nats: true }, "the runtime itself still holds them");
  assert.deepEqual(seen.service, { REVIEW_PORT: "0" });
});
