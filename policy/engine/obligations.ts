import type { Obligation, DecisionRequest } from "../types.js";
import { RuleEvaluationError } from "./evaluation.js";

type Render = (req: DecisionRequest) => Obligation;

const VARS = /\{(agent|flow|region|tenant|model)\}/g;

function fill(template: string, req: DecisionRequest, ruleId: string): string {
  if (!template.includes("{")) return template;
  return template.replace(VARS, (_, name: string) => {
    if (name === "agent") return req.principal.agent;
    if (name === "model") {
      if (!req.resource.model) throw new RuleEvaluationError(`obligation template "${template}" needs resource.model (rule ${ruleId})`);
      return req.resource.model;
    }
    const task = req.context?.task;
    if (!task) throw new RuleEvaluationError(`obligation template "${template}" needs context.task (rule ${ruleId})`);
    return task[name as "flow" | "region" | "tenant"];
  });
}

/** Static obligations are built once; templated ones ({agent}, {flow}, {region}, {tenant}, {model}) per decision. */
export function compileObligation(ob: Obligation, ruleId: string): Render {
  const templated =
    ((ob.kind === "rate_limit" || ob.kind === "budget") && ob.key.includes("{")) ||
    (ob.kind === "route_region" && ob.region.includes("{")) ||
    (ob.kind === "require_approval" && ob.reason.includes("{"));
  if (!templated) {
    const fixed = Object.freeze({ ...ob }) as Obligation;
    return () => fixed;
  }
  return (req) => {
    switch (ob.kind) {
      case "rate_limit":
      case "budget":
        return { ...ob, key: fill(ob.key, req, ruleId) };
      case "route_region":
        return { ...ob, region: fill(ob.region, req, ruleId) };
      case "require_approval":
        return { ...ob, reason: fill(ob.reason, req, ruleId) };
      default:
        return ob;
    }
  };
}
