/**
 * The promotion gate's per-intent precision floors, from the policy in force rather than a copy of its list: an
 * intent is high-risk when policy asks more than one approver before a task may complete as it, and each such
 * intent gets the target precision as its floor. Asked at every training, so a policy revision that adds an
 * intent guards it from the next training on.
 */
export function highRiskFloors(intents: readonly string[], approversFor: (intent: string) => number, floor: number): Record<string, number> {
  return Object.fromEntries(intents.filter((i) => approversFor(i) > 1).map((i) => [i, floor]));
}
