/** What an agent may import: the runtime is its only door to the world. */
export {
  defineAgent,
  agentKind,
  type AgentDefinition,
  type AgentKind,
  type TaskAgentDefinition,
  type IngestAgentDefinition,
  type ReviewAgentDefinition,
  type LabelAgentDefinition,
} from "./define-agent.js";
export type {
  AgentContext,
  IngestContext,
  IntakeContext,
  LabelContext,
  ServiceContext,
  GovernedModelStore,
  ReviewDecisionInput,
  RawEvent,
  EscalationRequest,
  ToolRequest,
  ToolResponse,
} from "./context.js";
export type { ClassifyResult, DraftResult, DraftRequest, FieldsRequest, FieldsResult } from "./model-access.js";
export { runAgent, type RunningAgent } from "./run-agent.js";
export { loadAgentConfig, redactedConfig, agentConfigSchema, type AgentConfig } from "./config.js";
export { listAgents, loadAgentDefinition } from "./load-agent.js";
export {
  resultMessageSchema,
  reviewRequestSchema,
  taskMessageSchema,
  reviewDecisionSchema,
  reviewerSchema,
  labelSchema,
  type ResultMessage,
  type ReviewRequest,
  type TaskMessage,
  type ReviewDecision,
  type ReviewApproval,
  type Label,
} from "./messages.js";
export type { StateStore, StateEntry, StateChange, ModelStore, ModelPointer } from "../bus/index.js";
export { createEnvelope, applyCorrections, documentRefV1, type TaskEnvelope, type InvoicePayload, type TicketPayload, type SocialMentionPayload, type DocumentPayload, type DocumentRef, type CorrectionEvent } from "../envelope/index.js";
/** Reading invoices out of documents is computation, not an effect: the bytes come through ctx.document. */
export { extractInvoice, withModelFields, modelFieldsRequest, parseModelFields, learnFromReview, emptyTemplate, vendorTemplateSchema, fieldNames, invoiceFieldsOf, type Extraction, type VendorTemplate, type InvoiceFields, type FieldName } from "../documents/index.js";
export { MeshError, SchemaError, TransientError, ConflictError, PolicyDeniedError, describeIssues, type ErrorCode } from "../errors/index.js";
export { changeState } from "./change-state.js";
/** Agents that show or store task data (the review screen, labels) redact it with the policy's detectors. */
export { redactText, scrubValue } from "../../policy/pii/index.js";
