/**
 * Turns an escalation's reason into sentences a reviewer reads at a glance. Policy refusals arrive as the engine
 * explains them (`rule "x" forbids it — description (condition; unless [condition])`); agents' own reasons are
 * clauses joined by `; `. Anything not recognised is kept as it is, as one sentence.
 */
export function reasonSentences(reason: string): string[] {
  const [approvalReason, policy] = splitApproval(reason);
  const refusal = /rule "([^"]+)" forbids it — (.+?) \((.*)\)\s*$/.exec(policy);
  if (!refusal) return [approvalReason, ...policy.split(/;\s+/)].filter(Boolean).map(sentence);
  const [, ruleId, description, conditions] = refusal;
  const facts = conditions!
    .replace(/unless \[(.*)\]/, "$1")
    .split(/;\s+/)
    .map(conditionSentence)
    .filter((s): s is string => s !== null);
  return [...(approvalReason ? [sentence(approvalReason)] : []), sentence(`Policy rule ${ruleId}: ${description}`), ...facts.map(sentence)];
}

/** Triage prefixes a policy refusal with the obligation's reason: `<reason>: <refusal>`. */
function splitApproval(reason: string): [string, string] {
  const at = reason.indexOf(": ");
  return at > 0 && /rule "/.test(reason.slice(at)) && !/rule "/.test(reason.slice(0, at)) ? [reason.slice(0, at), reason.slice(at + 2)] : ["", reason];
}

const conditionPatterns: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^category "([^"]+)" in \[(.+)\]$/, (m) => `The category ${m[1]} is on the ${m[2]!.replace(/@/g, "")} list`],
  [/^approvals is (\d+) \(want at least (\d+)\)$/, (m) => `It needs ${m[2]} distinct approvers and has ${m[1]}`],
  [/^approved is (true|false) \(want (true|false)\)$/, (m) => (m[2] === "true" ? "It needs a human's approval" : "It must not be approved")],
  [/^resource trusted is (true|false) \(want (true|false)\)$/, (m) => (m[1] === "true" ? "The endpoint is trusted" : "The endpoint is not trusted")],
];

function conditionSentence(text: string): string | null {
  for (const [pattern, render] of conditionPatterns) {
    const m = pattern.exec(text.trim());
    if (m) return render(m);
  }
  return text.trim() || null;
}

function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}
