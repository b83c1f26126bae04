/** What an agent may import: the runtime is its only door to the world. */
export { defineAgent, isIngestAgent, type AgentDefinition, type TaskAgentDefinition, type IngestAgentDefinition } from "./define-agent.js";
export type {
  AgentContext,
  IngestContext,
  RawEvent,
  EscalationRequest,
  ToolRequest,
  ToolResponse,
  CompleteOptions,
} from "./context.js";
export type { ClassifyResult, DraftResult, DraftRequest } from "./model-access.js";
export { runAgent, type RunningAgent } from "./run-agent.js";
export { loadAgentConfig, redactedConfig, agentConfigSchema, type AgentConfig } from "./config.js";
export { listAgents, loadAgentDefinition } from "./load-agent.js";
export type { ResultMessage, ReviewRequest, TaskMessage } from "./messages.js";
export { resultMessageSchema, reviewRequestSchema, taskMessageSchema } from "./messages.js";
export { createEnvelope, type TaskEnvelope, type InvoicePayload, type TicketPayload } from "../envelope/index.js";
export { MeshError, SchemaError, TransientError, type ErrorCode } from "../errors/index.js";
