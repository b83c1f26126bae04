/**
 * The policy library: every effect an agent takes is decided here.
 * @example
 *   const policy = loadPolicyFile(defaultPolicyPath);
 *   const d = policy.decide({ action: "event.emit", principal: { agent: "invoice" }, resource: { subject: "mesh.result.invoice" } });
 *   if (d.effect === "deny") throw new PolicyDeniedError(d.message, d.reasons, d.revision);
 */
export type {
  Action,
  Principal,
  Resource,
  TaskFacts,
  DecisionRequest,
  Obligation,
  Decision,
  TraceStep,
  RuleEffect,
  RuleMode,
} from "./types.js";
export { actions, DEFAULT_DENY, OPERATOR } from "./types.js";
export {
  parsePolicyDocument,
  validatePolicyDocument,
  policyDocumentSchema,
  type PolicyDocument,
  type PolicyDocumentInput,
  type Rule,
  type Condition,
} from "./document/index.js";
export { compilePolicy, type CompiledPolicy } from "./engine/compile.js";
export { compileSubjectPattern, renderSubjectPattern, type SubjectPattern } from "./engine/subject-pattern.js";
export { defaultPolicyPath, loadPolicyFile } from "./load.js";
