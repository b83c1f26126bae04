/** The scenarios `mesh chaos` knows, apart from their code so `mesh help` lists them without loading it. */
export const scenarioNames = ["agent-kill", "broker-restart", "leader-kill", "partition", "llm-outage", "llm-latency", "poison"] as const;
export type ScenarioName = (typeof scenarioNames)[number];
