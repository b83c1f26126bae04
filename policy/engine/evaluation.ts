import type { DecisionRequest, TaskFacts } from "../types.js";

/** Thrown by a check that cannot be evaluated; the engine turns it into a deny that says so. */
export class RuleEvaluationError extends Error {
  override readonly name = "RuleEvaluationError";
}

/** One request being decided, with the derived facts computed at most once. */
export class Evaluation {
  private tokens: readonly string[] | undefined;
  constructor(readonly req: DecisionRequest) {}

  get subjectTokens(): readonly string[] | undefined {
    if (this.tokens === undefined && this.req.resource.subject !== undefined) this.tokens = this.req.resource.subject.split(".");
    return this.tokens;
  }

  /** The task facts, or an evaluation error naming what needed them. */
  task(neededBy: string): TaskFacts {
    const task = this.req.context?.task;
    if (!task) throw new RuleEvaluationError(`${neededBy} needs context.task, which the request does not carry`);
    return task;
  }

  /** The region whose residency applies: the task's, or for an effect about no task the acting process's (`context.region`). */
  dataRegion(neededBy: string): string {
    const own = this.req.context?.region;
    if (!this.req.context?.task && typeof own === "string") return own;
    return this.task(neededBy).region;
  }
}
