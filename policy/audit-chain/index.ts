/** Per-instance hash chains of audit records, signed by the agent's identity, and their verifier. */
export { AuditChain, type AuditChainOptions } from "./chain.js";
export { GENESIS, hashRecord, type ChainFields, type ChainedRecord } from "./statements.js";
export {
  verifyAuditChain,
  type AuditProblem,
  type AuditProblemKind,
  type AuditVerification,
  type KnownIdentity,
  type UnanchoredTail,
  type VerifyOptions,
} from "./verify.js";
