/** The only code that imports `nats`, and the only code that holds its client handles: everything else gets a Bus
 *  and these typed operations (raw-bus.ts is the folder's own, refused to others by .dependency-cruiser.cjs). */
export { connectBus, type Bus, type BusOptions } from "./connection.js";
export { watchConnection, type ConnectionEvent } from "./connection-state.js";
export { subjects, flowOf } from "./subjects.js";
export {
  ensureConsumer,
  declareTopology,
  compareConsumers,
  isNotFound,
  policyHistory,
  maxRateLimitWindowMs,
  streamConfigs,
  streamNames,
  buckets,
  defaultTopologyOptions,
  type TopologyOptions,
  type ConsumerSpec,
  type StreamKey,
} from "./topology.js";
export { publish, headerRecord, type PublishOptions, type Published } from "./publish.js";
export { batchPublisher, type BatchMessage, type PublishBatch } from "./publish-batch.js";
export {
  startConsumeLoop,
  backoffDelay,
  buildDeadLetter,
  publishDeadLetter,
  deadLetterSubject,
  type ConsumeLoop,
  type ConsumeLoopOptions,
  type Delivery,
  type DeliveryOutcome,
} from "./consume.js";
export { watchMaxDeliveries } from "./advisories.js";
export { deadLetterDepths } from "./dead-letter-depth.js";
export { deadLetterSchema, decodeBody, encodeBody, deadLetterMsgId, maxInlineBodyBytes, type DeadLetter, type BodyEncoder } from "./dead-letter.js";
export { readStream, follow, type StoredMessage } from "./read-stream.js";
export { storedMessage, deleteStoredMessage, streamInfo, consumerInfo, consumerInfos } from "./stream-admin.js";
export { serveRequests, type Request } from "./serve-requests.js";
export { openStateStore, type StateStore, type StateEntry, type StateChange } from "./state-store.js";
export { openModelStore, modelBuckets, type ModelStore, type ModelPointer } from "./model-store.js";
export { openDocumentStore, documentBucket, type DocumentStore, type StoredDocument } from "./document-store.js";
export { openRateLimitStore, rateLimitBucket, type RateLimitReservation, type RateLimitStore, type RateLimitTake } from "./rate-limit-store.js";
export { openBudgetStore, budgetBucket, type BudgetStore } from "./budget-store.js";
export { registerIdentity, readIdentities, identitySchema, type Identity } from "./identities.js";
