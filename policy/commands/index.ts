/** Implementations of `mesh policy push|diff|explain` and `mesh audit verify`, for the CLI to wire. */
export { pushPolicy, loadStoredPolicy, type PushResult } from "../distribution/index.js";
export { formatPolicyPush } from "./policy-push.js";
export { diffPolicies, policyDiff, formatPolicyDiff, requestFromAuditRecord, type PolicyDiff, type DecisionChange } from "./policy-diff.js";
export { auditVerify, formatAuditVerification, parseAuditJsonl, readAuditRecords, readAuditTrail, type AuditVerifyOptions } from "./audit-verify.js";
export { formatExplain } from "./policy-explain.js";
