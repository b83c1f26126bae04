/** The scenarios `mesh chaos` knows, apart from their code so `mesh help` lists them without loading it. */
export const scenarioNames = ["agent-kill", "broker-restart", "leader-kill", "partition", "llm-outage", "llm-latency", "poison"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/**
 * Against a mesh it did not start, a scenario's fault is the operator's `--fault` command: the run cannot signal the
 * mesh's processes. Only poison's fault is inputs the run sends itself.
 */
export const needsFaultCommand = (name: ScenarioName): boolean => name !== "poison";
