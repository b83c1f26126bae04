import { parse as parseYaml } from "yaml";
import { MeshError, describeIssues } from "../../shared/errors/index.js";
import { policyDocumentSchema, type PolicyDocument } from "./schema.js";

export {
  policyDocumentSchema,
  ruleSchema,
  conditionSchema,
  obligationSchema,
  type PolicyDocument,
  type PolicyDocumentInput,
  type Rule,
  type Condition,
} from "./schema.js";

/**
 * Parses a policy document from YAML or JSON text. Every failure is an `E_POLICY_INVALID` MeshError
 * whose message names the source and the field, e.g. `mesh-policy.yaml: rules.3.effect: Invalid option`.
 */
export function parsePolicyDocument(text: string, source = "policy document"): PolicyDocument {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith("{") ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new MeshError("E_POLICY_INVALID", `${source}: not valid YAML/JSON: ${(err as Error).message}`, false, { source });
  }
  return validatePolicyDocument(raw, source);
}

/** Validates an already-decoded document (e.g. one taken out of a signed envelope). */
export function validatePolicyDocument(raw: unknown, source = "policy document"): PolicyDocument {
  const parsed = policyDocumentSchema.safeParse(raw);
  if (!parsed.success)
    throw new MeshError("E_POLICY_INVALID", `${source}: ${describeIssues(parsed.error.issues)}`, false, {
      source,
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    });
  return parsed.data;
}
