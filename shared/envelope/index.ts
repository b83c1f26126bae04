export { canonicalJson, sha256Hex, deepFreeze } from "./canonical.js";
export {
  flowSchemas,
  isFlow,
  payloadSchema,
  categoryFieldOf,
  invoicePayloadV1,
  invoicePayloadV2,
  personalFields,
  personalFieldsOf,
  personalDataClass,
  ticketPayloadV1,
  socialMentionPayloadV1,
  taskAttributesOf,
  type TaskAttributes,
  type SocialMentionPayload,
  documentPayloadV1,
  documentRefV1,
  maxDocumentBytes,
  type DocumentPayload,
  type DocumentRef,
  type FlowName,
  type InvoicePayload,
  type TicketPayload,
} from "./flows.js";
export {
  createEnvelope,
  parseEnvelope,
  checkedEnvelope,
  envelopeId,
  sourceRefOf,
  contentDigest,
  defaultMaxEventBytes,
  inboundEventSchema,
  taskEnvelopeSchema,
  region,
  classification,
  type TaskEnvelope,
  type InboundEvent,
  type EnvelopeOptions,
} from "./envelope.js";
export { parseJsonBody, decodeUtf8 } from "./json-body.js";
export { illFormedPaths, notExactMessage } from "./exact-strings.js";
export { correctionEventSchema, createCorrection, applyCorrections, type CorrectionEvent } from "./correction.js";
